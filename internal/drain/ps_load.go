package drain

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// What `tinit ps` can fail with, for errors.Is; ErrNoProc too.
var (
	ErrNotTinit = errors.New("no tinit at that pid")
	ErrDenied   = errors.New("permission denied")
)

// psError is a one-line message of a kind.
type psError struct {
	msg  string
	kind error
}

func (e *psError) Error() string { return e.msg }
func (e *psError) Unwrap() error { return e.kind }

// LoadPs reads what `tinit ps` shows about the tinit at pid.
func LoadPs(pid int) (*PsInput, error) {
	snap, err := Scan(true)
	if err != nil {
		return nil, &psError{"cannot read /proc: " + err.Error(), ErrNoProc}
	}
	uptime, err := readUptime()
	if err != nil {
		return nil, &psError{"cannot read /proc/uptime: " + err.Error(), ErrNoProc}
	}
	self := snap.Self
	t := snap.Procs[pid]
	switch {
	case t == nil && unix.Kill(pid, 0) == unix.EPERM:
		// It exists, and belongs to another user, yet /proc does not list
		// it: /proc is mounted with hidepid=2 (or invisible).
		return nil, &psError{"cannot see process " + strconv.Itoa(pid) +
			": permission denied (/proc is mounted with hidepid, which hides other users' processes); run tinit ps as tinit's user or as root", ErrDenied}
	case t == nil:
		return nil, &psError{"no process " + strconv.Itoa(pid) + " here" + hint(snap, pid), ErrNotTinit}
	case pid == self:
		return nil, &psError{"pid " + strconv.Itoa(pid) + " is this tinit ps itself", ErrNotTinit}
	case !isTinit(t):
		return nil, &psError{"pid " + strconv.Itoa(pid) + " (" + Quote(t.Comm) + ") is not tinit" + hint(snap, pid), ErrNotTinit}
	}
	pipes, err := readPipeEnds(pid)
	if errors.Is(err, fs.ErrPermission) {
		return nil, &psError{"cannot read the fds of tinit (pid " + strconv.Itoa(pid) +
			"): permission denied; run tinit ps as tinit's user or as root", ErrDenied}
	}
	if err != nil {
		return nil, &psError{"no process " + strconv.Itoa(pid) + " here: it has exited", ErrNotTinit}
	}
	snap.Self = pid
	in := &PsInput{Snap: snap, Pipes: pipes, Uptime: uptime, State: readState(pid)}
	for fd := 1; fd <= 2; fd++ {
		in.TTY[fd] = fdIsTerminal(pid, fd)
	}
	dir := procRoot + "/" + strconv.Itoa(pid) + "/fd/"
	if a, err := os.Stat(dir + "1"); err == nil {
		if b, err := os.Stat(dir + "2"); err == nil {
			in.OneOutput = os.SameFile(a, b)
		}
	}
	return in, nil
}

// isTinit accepts the process if it runs the same executable file as this
// tinit ps (however either is named: docker-init, podman-init, /init), or if
// its executable or its command name is tinit (another copy of it).
// Only a process that runs tinit holds the pipes ps explains; the rule
// needs no guess about pipes or reaping, which any shell could imitate.
func isTinit(p *Proc) bool {
	if p.Comm == "tinit" {
		return true
	}
	dir := procRoot + "/" + strconv.Itoa(p.PID)
	if self, err := os.Stat(procRoot + "/self/exe"); err == nil {
		if st, err := os.Stat(dir + "/exe"); err == nil && os.SameFile(self, st) {
			return true
		}
	}
	link, err := os.Readlink(dir + "/exe")
	return err == nil && path.Base(strings.TrimSuffix(link, " (deleted)")) == "tinit"
}

// hint names the processes that look like tinit when pid is not one, so
// that a tinit running as a subreaper, not as pid 1, is found.
func hint(snap *Snapshot, pid int) string {
	var found []int
	for _, p := range snap.Procs {
		if p.PID != pid && p.PID != snap.Self && p.Comm == "tinit" && !(len(p.Cmdline) > 1 && p.Cmdline[1] == "ps") {
			found = append(found, p.PID)
		}
	}
	if len(found) == 0 {
		return ""
	}
	sort.Ints(found)
	var pids []string
	for i, p := range found {
		if i == 5 {
			pids = append(pids, "…")
			break
		}
		pids = append(pids, strconv.Itoa(p))
	}
	return "; tinit runs here as pid " + strings.Join(pids, ", ") + " (tinit ps PID)"
}

// readPipeEnds lists tinit's pipe read ends that are close-on-exec. tinit
// makes its own pipes close-on-exec; a pipe it inherited (stdin from a shell
// pipeline, say) survived tinit's exec, so it is not.
func readPipeEnds(pid int) ([]PipeEnd, error) {
	fds, err := pipeFdsOf(pid)
	if err != nil {
		return nil, err
	}
	var out []PipeEnd
	for _, p := range fds {
		if p.flags&unix.O_ACCMODE == unix.O_RDONLY && p.flags&unix.O_CLOEXEC != 0 {
			out = append(out, PipeEnd{Fd: p.fd, Inode: p.inode})
		}
	}
	return out, nil
}

// fdIsTerminal tells from its path whether the process's fd is a terminal.
// Opening it to ask the terminal itself could have side effects on a device
// that only looks like one.
func fdIsTerminal(pid, fd int) bool {
	link, err := os.Readlink(procRoot + "/" + strconv.Itoa(pid) + "/fd/" + strconv.Itoa(fd))
	if err != nil {
		return false
	}
	return strings.HasPrefix(link, "/dev/pts/") || strings.HasPrefix(link, "/dev/tty") || link == "/dev/console"
}

// readUptime is the time since boot in clock ticks; /proc/uptime gives
// seconds with two decimals, exactly a tick at USER_HZ 100.
func readUptime() (uint64, error) {
	b, err := os.ReadFile(procRoot + "/uptime")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, errors.New("empty")
	}
	sec, frac, _ := strings.Cut(f[0], ".")
	s, err := strconv.ParseUint(sec, 10, 64)
	if err != nil {
		return 0, err
	}
	frac = (frac + "00")[:2]
	c, err := strconv.ParseUint(frac, 10, 64)
	if err != nil {
		return 0, err
	}
	return s*ticksPerSecond + c, nil
}
