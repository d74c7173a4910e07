package drain

import (
	"bytes"
	"os"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// An unprivileged user past /proc/sys/fs/pipe-user-pages-soft gets small
// pipes that do not grow (about 16 tinits at once). A stage of such a pipe
// is still a stage: the relay must never sleep in a write to an output
// whose reader stopped, or the other stream would stop with it. The
// stage is made on a thread that took an unused uid, and so lost root's
// CAP_SYS_RESOURCE, after that uid used up its pages.
func TestSmallStageNeverWaits(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to take another uid on one thread")
	}
	r, w := mustPipe(t)
	out := dupClose(t, w)
	defer unix.Close(out)
	k := newSink(out)
	defer k.close()
	made := make(chan int, 1)
	go func() {
		// Never unlocked: the thread ends with this goroutine, its uid
		// with it.
		runtime.LockOSThread()
		uid := uintptr(1900000000 + os.Getpid()%1000000)
		if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, uid, uid, uid); e != 0 {
			made <- -1
			return
		}
		var held []int
		defer func() {
			for _, fd := range held {
				unix.Close(fd)
			}
		}()
		for range 1000 {
			var p [2]int
			if unix.Pipe2(p[:], unix.O_CLOEXEC) != nil {
				break
			}
			held = append(held, p[0], p[1])
			growPipe(p[0], pipeSize)
			if sz, _ := unix.FcntlInt(uintptr(p[0]), unix.F_GETPIPE_SZ, 0); sz < pipeSize {
				break
			}
		}
		k.prepare()
		sz := 0
		if k.stage[0] >= 0 {
			sz, _ = unix.FcntlInt(uintptr(k.stage[0]), unix.F_GETPIPE_SZ, 0)
		}
		made <- sz
	}()
	sz := <-made
	if sz < 0 {
		t.Skip("cannot take another uid")
	}
	if sz >= copyBufSize {
		t.Skip("the stage grew all the same")
	}
	piece := bytes.Repeat([]byte("a line of the child's output\n"), 100000)
	type result struct {
		moved int
		wait  bool
		err   error
	}
	put := make(chan result, 1)
	go func() {
		moved, wait, err := k.put(piece, 0)
		put <- result{moved, wait, err}
	}()
	select {
	case res := <-put:
		if res.err != nil || !res.wait || res.moved >= len(piece) {
			t.Errorf("put moved %d of %d bytes, wait %v, error %v; want part of it and a wait for room", res.moved, len(piece), res.wait, res.err)
		}
		r.Close()
	case <-time.After(5 * time.Second):
		r.Close() // the write fails and returns
		<-put
		t.Fatalf("a stage of %d bytes (0: none): put slept in a write to an output nobody reads", sz)
	}
}
