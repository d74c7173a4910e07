package drain

import (
	"testing"

	"golang.org/x/sys/unix"
)

func pipeSizeOf(t *testing.T, fd uintptr) int {
	t.Helper()
	n, err := unix.FcntlInt(fd, unix.F_GETPIPE_SZ, 0)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// tinit's output pipe, when smaller than the child's pipes, grows to their
// size, so one wake-up of the forwarder moves up to a pipe's worth.
func TestStreamGrowsOutputPipe(t *testing.T) {
	r, w := mustPipe(t)
	defer r.Close()
	defer w.Close()
	if got := pipeSizeOf(t, r.Fd()); got >= pipeSize {
		t.Skipf("a new pipe here already holds %d bytes", got)
	}
	s, err := newStream("stdout", int(w.Fd()), false, "", func(string) {}, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if got := pipeSizeOf(t, r.Fd()); got != pipeSize {
		t.Errorf("output pipe now holds %d bytes, want %d", got, pipeSize)
	}
}

// growPipe never shrinks: F_SETPIPE_SZ would, and would fail with EBUSY on
// a pipe holding more than the new size.
func TestGrowPipeNeverShrinks(t *testing.T) {
	r, w := mustPipe(t)
	defer r.Close()
	defer w.Close()
	if _, err := unix.FcntlInt(w.Fd(), unix.F_SETPIPE_SZ, pipeSize); err != nil {
		t.Fatal(err)
	}
	growPipe(int(w.Fd()), 64<<10)
	if got := pipeSizeOf(t, r.Fd()); got != pipeSize {
		t.Errorf("pipe of %d bytes now holds %d", pipeSize, got)
	}
	growPipe(int(w.Fd()), 2*pipeSize) // beyond pipe-max-size without CAP_SYS_RESOURCE: left alone
	if got := pipeSizeOf(t, r.Fd()); got < pipeSize {
		t.Errorf("a refused grow shrank the pipe to %d", got)
	}
}
