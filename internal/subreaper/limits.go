package subreaper

import (
	"bytes"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// The Go runtime ends the process with a stack dump, not an error, when it
// cannot get a file descriptor for its poller or a thread: those are the
// limits tinit checks before it does anything else, while it can still
// say so in one line. Everything after fails with an ordinary error.

// peakThreads is how many threads tinit runs at most, its main thread
// included: reserveThreads makes them all before the child starts (strace
// counts 13 clones, /proc/PID/task 14 entries); with the child, that many
// tasks must fit under RLIMIT_NPROC.
const peakThreads = 14

// Preflight checks the limits under which the runtime would crash rather
// than fail, and then starts the runtime's poller while its two fds are
// known to be free. It must run before anything opens a file or starts a
// timer.
func Preflight() error {
	if err := reserveFds(2); err != nil {
		return err
	}
	// A timer starts the poller (epoll and an eventfd), which any os.File
	// or timer would otherwise start at some later point, fatally if the
	// fd table is full by then.
	time.AfterFunc(time.Hour, func() {}).Stop()
	return checkNproc()
}

// reserveFds makes sure n fds are free, without the poller (bare syscalls).
func reserveFds(n int) error {
	var fds []int
	defer func() {
		for _, fd := range fds {
			_ = unix.Close(fd)
		}
	}()
	for range n {
		fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
		if err != nil {
			var lim unix.Rlimit
			_ = unix.Getrlimit(unix.RLIMIT_NOFILE, &lim)
			return &limitError{"too many open files (RLIMIT_NOFILE is " + strconv.FormatUint(lim.Cur, 10) + ")"}
		}
		fds = append(fds, fd)
	}
	return nil
}

// checkNproc fails when RLIMIT_NPROC leaves no room for tinit's threads and
// the child: the kernel counts every task of the real user against it.
func checkNproc() error {
	var lim unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NPROC, &lim) != nil || lim.Cur >= 4096 || nprocExempt() {
		return nil
	}
	uid := unix.Getuid()
	used, self := userTasks(uid)
	want := peakThreads + 1 - self
	if used < 0 || int(lim.Cur)-used >= want {
		return nil
	}
	return &limitError{"too many processes: RLIMIT_NPROC is " + strconv.FormatUint(lim.Cur, 10) +
		" and user " + strconv.Itoa(uid) + " runs " + strconv.Itoa(used) +
		"; tinit needs " + strconv.Itoa(want) + " more (its threads and the command)"}
}

// nprocExempt: the kernel does not apply RLIMIT_NPROC to a task with
// CAP_SYS_RESOURCE or CAP_SYS_ADMIN in the initial user namespace. In any
// other user namespace the capabilities do not count, so tinit checks.
func nprocExempt() bool {
	b, ok := readSmall("/proc/self/status")
	if !ok {
		return true // no /proc: nothing to count with
	}
	c, err := strconv.ParseUint(string(field(b, "CapEff:")), 16, 64)
	if err != nil {
		return true
	}
	if c&(1<<unix.CAP_SYS_RESOURCE|1<<unix.CAP_SYS_ADMIN) == 0 {
		return false
	}
	m, ok := readSmall("/proc/self/uid_map")
	return ok && bytes.Equal(bytes.Fields(m)[2], []byte("4294967295"))
}

// userTasks counts the tasks whose real uid is uid, and tinit's own
// threads; -1 when /proc cannot be read.
func userTasks(uid int) (used, self int) {
	d, err := unix.Open("/proc", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, 0
	}
	defer unix.Close(d)
	me := unix.Getpid()
	buf := make([]byte, 8192)
	want := []byte(strconv.Itoa(uid))
	for {
		n, err := unix.ReadDirent(d, buf)
		if err != nil || n == 0 {
			return used, self
		}
		var names []string
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
		for _, name := range names {
			pid, err := strconv.Atoi(name)
			if err != nil {
				continue
			}
			st, ok := readSmall("/proc/" + name + "/status")
			if !ok {
				continue
			}
			uids := bytes.Fields(field(st, "Uid:"))
			if len(uids) == 0 || !bytes.Equal(uids[0], want) {
				continue
			}
			t, _ := strconv.Atoi(string(field(st, "Threads:")))
			used += t
			if pid == me {
				self = t
			}
		}
	}
}

// readSmall reads a small /proc file with bare system calls.
func readSmall(path string) ([]byte, bool) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, false
	}
	defer unix.Close(fd)
	b := make([]byte, 4096)
	n, err := unix.Read(fd, b)
	if err != nil || n <= 0 {
		return nil, false
	}
	return b[:n], true
}

// field is the value after name at the start of a line of a status file.
func field(b []byte, name string) []byte {
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		if v, ok := bytes.CutPrefix(line, []byte(name)); ok {
			return bytes.TrimSpace(v)
		}
	}
	return nil
}

// limitError is a limit too low for tinit to run under.
type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }
