package drain

import (
	"io"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The relay's system calls never sleep: every fd it reads or splices is
// non-blocking, or the call is asked not to wait. They are made raw, so
// that the Go runtime does not hand its processor to another thread
// meanwhile: the loop may be in a system call of its own at the same time,
// and with one processor, every goroutine in the kernel at once holds a
// thread. Writes to regular files (copy files, an output that is a file)
// are raw too: they wait for the disk at most, which holds the loop up for
// as long, within the kernel's throttling of dirty pages; a file system
// that never answers would hang tinit anyway, as the output could then
// never be finished. Writes to devices and FIFO copy files, which can wait
// for a reader, go through the runtime.

func errnoErr(e unix.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

func rawRead(fd int, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	return int(n), errnoErr(e)
}

func rawWrite(fd int, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	return int(n), errnoErr(e)
}

// rawSplice is splice(2) with SPLICE_F_NONBLOCK, between pipes.
func rawSplice(in, out, n int) (int, error) {
	m, _, e := unix.RawSyscall6(unix.SYS_SPLICE, uintptr(in), 0, uintptr(out), 0, uintptr(n), unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
	return int(m), errnoErr(e)
}

// rawSend is send(2) with MSG_DONTWAIT, and MSG_NOSIGNAL: no SIGPIPE.
func rawSend(fd int, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n, _, e := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL, 0, 0)
	return int(n), errnoErr(e)
}

// rawReady is how many fds in ep are ready, without waiting.
func rawReady(ep int, evs []unix.EpollEvent) (int, error) {
	n, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(ep), uintptr(unsafe.Pointer(&evs[0])), uintptr(len(evs)), 0, 0, 0)
	return int(n), errnoErr(e)
}

func rawEpollCtl(ep, op, fd int, ev *unix.EpollEvent) error {
	_, _, e := unix.RawSyscall6(unix.SYS_EPOLL_CTL, uintptr(ep), uintptr(op), uintptr(fd), uintptr(unsafe.Pointer(ev)), 0, 0)
	return errnoErr(e)
}

// rawQueued is how many bytes wait in the pipe fd.
func rawQueued(fd int) (int, error) {
	var n int32
	_, _, e := unix.RawSyscall(unix.SYS_IOCTL, uintptr(fd), unix.TIOCINQ, uintptr(unsafe.Pointer(&n)))
	return int(n), errnoErr(e)
}

// rawWriteAll writes all of b to a regular file, and says how much went
// out before an error.
func rawWriteAll(fd int, b []byte) (int, error) {
	done := 0
	for done < len(b) {
		n, err := rawWrite(fd, b[done:])
		switch {
		case err == unix.EINTR:
		case err != nil:
			return done, err
		case n == 0:
			return done, io.ErrShortWrite
		default:
			done += n
		}
	}
	return done, nil
}
