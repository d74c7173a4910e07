package procview

import (
	"bytes"
	"os"
	"strconv"

	"github.com/prometheus/procfs"
)

// What tinit asks about itself and its user before it starts the child.
// These read the real /proc even when it shows another pid namespace:
// /proc/self and a user's tasks are the same files either way.

// selfProc is the calling process as /proc names it: under a /proc of
// another pid namespace its pid there is not os.Getpid().
func selfProc() (procfs.FS, procfs.Proc, error) {
	fs, err := procfs.NewFS(procRoot)
	if err != nil {
		return fs, procfs.Proc{}, err
	}
	p, err := fs.Self()
	return fs, p, err
}

// OwnCapEff is the calling process's effective capability set. It is
// read from /proc/self/status, not procfs's status: procfs has the field
// only from v0.20, and Debian trixie packages v0.15.
func OwnCapEff() (uint64, error) {
	return ownStatusMask("CapEff:")
}

// OwnSigIgn is the calling process's ignored-signal mask (SigIgn in
// /proc/self/status), which procfs's status has no field for.
func OwnSigIgn() (uint64, error) {
	return ownStatusMask("SigIgn:")
}

// ownStatusMask reads the hexadecimal mask on the line of
// /proc/self/status that starts with field.
func ownStatusMask(field string) (uint64, error) {
	b, err := os.ReadFile(procRoot + "/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		if v, ok := bytes.CutPrefix(line, []byte(field)); ok {
			return strconv.ParseUint(string(bytes.TrimSpace(v)), 16, 64)
		}
	}
	return 0, os.ErrNotExist
}

// InInitialUserNamespace tells whether the calling process's user
// namespace maps every uid, as only the initial one does; procfs has no
// call for uid_map.
func InInitialUserNamespace() bool {
	b, err := os.ReadFile(procRoot + "/self/uid_map")
	f := bytes.Fields(b)
	return err == nil && len(f) == 3 && string(f[2]) == "4294967295"
}

// UserTasks counts the tasks (threads) whose real uid is uid, as
// RLIMIT_NPROC counts them, and the calling process's own; -1 when /proc
// cannot be read. Processes that vanish midway are skipped.
func UserTasks(uid int) (used, self int) {
	fs, me, err := selfProc()
	if err != nil {
		return -1, 0
	}
	ps, err := fs.AllProcs()
	if err != nil {
		return -1, 0
	}
	for _, p := range ps {
		st, err := p.NewStatus()
		if err != nil || st.UIDs[0] != uint64(uid) {
			continue
		}
		stat, err := p.Stat()
		if err != nil {
			continue
		}
		used += stat.NumThreads
		if p.PID == me.PID {
			self = stat.NumThreads
		}
	}
	return used, self
}
