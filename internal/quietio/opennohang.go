package quietio

import (
	"errors"
	"io/fs"
	"time"

	"golang.org/x/sys/unix"
)

// fifoWait bounds how long a FIFO may go without a reader.
const fifoWait = 2 * time.Second

// OpenNoHang opens path for writing with flags. Opening a FIFO for writing
// blocks until someone opens it for reading, with tinit's loop not yet
// running to take a signal, so it is opened without blocking and retried
// for fifoWait: a FIFO that nobody reads is an error, not a hang. The fd
// blocks again once open; writes to it wait for the reader.
func OpenNoHang(path string, flags int) (int, error) {
	deadline := time.Now().Add(fifoWait)
	for {
		fd, err := unix.Open(path, flags|unix.O_NONBLOCK, 0o644)
		if err == unix.ENXIO && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if err == unix.ENXIO {
			return -1, errors.New(path + ": nobody reads this FIFO")
		}
		if err != nil {
			return -1, &fs.PathError{Op: "open", Path: path, Err: err}
		}
		if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); err == nil {
			_, _ = unix.FcntlInt(uintptr(fd), unix.F_SETFL, fl&^unix.O_NONBLOCK)
		}
		return fd, nil
	}
}
