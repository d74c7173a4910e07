package subreaper

import (
	"strconv"
	"unsafe"

	"tinit/internal/render"

	"golang.org/x/sys/unix"
)

// siginfoPidOffset is where si_pid sits in a siginfo_t: after three ints
// (si_signo, si_errno, si_code, in an order that varies by architecture),
// at the start of a union aligned like a pointer. x/sys/unix leaves the
// union opaque.
const siginfoPidOffset = (3*4 + unsafe.Sizeof(uintptr(0)) - 1) &^ (unsafe.Sizeof(uintptr(0)) - 1)

// exitedChild is the pid of a child that has exited and is not yet reaped,
// left unreaped (WNOWAIT) so /proc can still be asked about it; 0 while
// every child still runs, and ECHILD when there is none.
func exitedChild() (int, error) {
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, err
		}
		return int(*(*int32)(unsafe.Add(unsafe.Pointer(&info), siginfoPidOffset))), nil
	}
}

// reap is reapAll, naming the children only when -v or -w will log them.
func (r *run) reap() bool {
	return r.sys.reap(r.cfg.Verbosity > 0 || r.cfg.WarnOnReap, r.onReap)
}

// pidAndName is "12 (sleep)", or "12" when the name is unknown.
func pidAndName(pid int, name string) string {
	if name == "" {
		return itoa(pid)
	}
	return itoa(pid) + " (" + render.Quote(name) + ")"
}

func itoa(n int) string { return strconv.Itoa(n) }
