package quietio

import (
	"errors"
	"runtime"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// tinit forwards SIGPIPE sent to it, so the SIGPIPE the kernel raises when
// tinit's own write hits a closed pipe must never reach the signal loop. A
// write made with SIGPIPE blocked on its thread gets EPIPE and leaves the
// signal pending on that thread only, where it is taken back with
// rt_sigtimedwait.
//
// SIGTTOU is blocked on the writing threads too. A write to a terminal with
// TOSTOP set, from a process outside its foreground group, raises SIGTTOU on
// the whole group and restarts; a caught SIGTTOU (tinit catches it to
// forward it) would make it restart forever. With SIGTTOU blocked the
// kernel lets the write through and raises nothing (tty_check_change), so a
// background tinit's own lines still reach the terminal, as they would from
// a shell with TOSTOP ignored. The child keeps the default, and stops.
//
// A write past RLIMIT_FSIZE raises SIGXFSZ on the writing thread, like
// SIGPIPE: forwarded, it would kill the child for a limit only tinit's
// write hit. Blocked, the write fails with EFBIG, which tinit treats as a
// broken output or a failed copy file, and the signal is taken back too.

func sigset(sigs ...unix.Signal) *unix.Sigset_t {
	var set unix.Sigset_t
	bitsPer := uint(unsafe.Sizeof(set.Val[0]) * 8)
	for _, sig := range sigs {
		n := uint(sig) - 1
		set.Val[n/bitsPer] |= 1 << (n % bitsPer)
	}
	return &set
}

// ownWriteSignals are what the kernel raises on a thread for its own failed
// write.
func ownWriteSignals() *unix.Sigset_t { return sigset(unix.SIGPIPE, unix.SIGXFSZ) }

// writeSignals are blocked on every thread that writes tinit's output.
func writeSignals() *unix.Sigset_t { return sigset(unix.SIGPIPE, unix.SIGTTOU, unix.SIGXFSZ) }

// DropOwnSignal takes back the SIGPIPE or SIGXFSZ that a failed write of
// this thread's left pending on it; err is that write's error.
func DropOwnSignal(err error) {
	if !errors.Is(err, unix.EPIPE) && !errors.Is(err, unix.EFBIG) {
		return
	}
	ts := unix.Timespec{}
	_, _, _ = unix.Syscall6(unix.SYS_RT_SIGTIMEDWAIT, uintptr(unsafe.Pointer(ownWriteSignals())), 0,
		uintptr(unsafe.Pointer(&ts)), kernelSigsetSize(), 0, 0)
}

// kernelSigsetSize is the kernel's sigset_t size (_NSIG/8), which is smaller
// than the C library's: MIPS has 128 signals, everyone else 64.
func kernelSigsetSize() uintptr {
	if strings.HasPrefix(runtime.GOARCH, "mips") {
		return 16
	}
	return 8
}

// WriteQuiet writes all of b to fd without raising a SIGPIPE, SIGTTOU or
// SIGXFSZ that tinit would forward.
func WriteQuiet(fd int, b []byte) error {
	_, err := Quietly(func() (int, error) { return WriteAll(fd, b) })
	return err
}

// Quietly runs op, which writes to one of tinit's outputs, with SIGPIPE,
// SIGTTOU and SIGXFSZ blocked on its thread, and takes back the signal its
// failure raised there. The thread is held only for as long as op runs.
func Quietly(op func() (int, error)) (int, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var old unix.Sigset_t
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, writeSignals(), &old); err != nil {
		return 0, err
	}
	defer unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
	n, err := op()
	DropOwnSignal(err)
	return n, err
}

// WriteBeforeSignals writes all of b to fd from whatever thread runs it,
// for tinit's words before it catches any signal: WriteQuiet's lock may need
// a thread the runtime cannot make when RLIMIT_NPROC is used up, and the
// runtime would crash instead of saying why tinit stops. Until tinit
// catches them, a SIGPIPE or SIGXFSZ the write raises is the runtime's,
// which drops it, and SIGTTOU stops tinit as it would any background job.
func WriteBeforeSignals(fd int, b []byte) error {
	_, err := WriteAll(fd, b)
	return err
}

// WriteAll writes all of b to fd as it is, waiting out EINTR and an fd
// someone set O_NONBLOCK on, and says how much of b went out before an
// error: a copy of the output must hold that much too. It holds back no
// signal itself: for writes inside Quietly, and for WriteBeforeSignals.
func WriteAll(fd int, b []byte) (written int, err error) {
	for written < len(b) {
		n, err := unix.Write(fd, b[written:])
		if err == unix.EINTR || err == unix.EAGAIN {
			if err == unix.EAGAIN {
				WaitWritable(fd)
			}
			continue
		}
		if err != nil {
			return written, err
		}
		written += n
	}
	return written, nil
}

// WaitWritable copes with an output fd someone else set O_NONBLOCK on (the
// flag lives on the shared open file, not on tinit's fd).
func WaitWritable(fd int) {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
	_, _ = unix.Poll(fds, -1)
}
