package limits

import (
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"tinit/internal/procview"
)

// The Go runtime ends the process with a stack dump, not an error, when it
// cannot get a file descriptor for its poller or a thread: those are the
// limits tinit checks before it does anything else, while it can still
// say so in one line. Everything after fails with an ordinary error.

// peakThreads is how many threads tinit runs at most, its main thread
// included: ReserveThreads makes them all before the child starts, 8 as a
// rule, and on a machine loaded past its cores the runtime now and then
// makes one more while it starts; with the child, that many tasks must fit
// under RLIMIT_NPROC.
const peakThreads = 10

// Preflight checks the limits under which the runtime would crash rather
// than fail, and then starts the runtime's poller while its two fds are
// known to be free. It must run before anything opens a file or starts a
// timer.
func Preflight() error {
	oneProcessor()
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
	used, self := procview.UserTasks(uid)
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
// Without /proc there is nothing to count with, so tinit does not try.
func nprocExempt() bool {
	c, err := procview.OwnCapEff()
	if err != nil {
		return true
	}
	if c&(1<<unix.CAP_SYS_RESOURCE|1<<unix.CAP_SYS_ADMIN) == 0 {
		return false
	}
	return procview.InInitialUserNamespace()
}

// limitError is a limit too low for tinit to run under.
type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }
