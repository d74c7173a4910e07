package drain

import (
	"errors"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// pipeSize is what tinit asks for its pipes: larger than the default 64 KiB,
// so one splice moves more per system call, and at most the unprivileged
// limit, so it needs no privilege. The pages are the kernel's, not tinit's RSS.
const pipeSize = 1 << 20

// Stream is one of the child's two output streams as tinit carries it.
type Stream struct {
	Name  string // "stdout", "stderr", or state.MergedName
	Out   int    // tinit's own fd that the bytes go to
	Inode uint64 // the pipe's inode: /proc shows the pipe as pipe:[Inode]

	r, w int        // the pipe; -1 where the stream passes through
	rMu  sync.Mutex // held to close r, and by others than the relay to use it
	wake int        // the Drain's Finish eventfd, for a relay of this stream alone
	copy *copyFile
	sink *sink  // Out, shared with the other stream when they share a destination
	buf  []byte // the read/write path's, made on first use
	// lines: the stream hands out whole lines only, because it has a copy
	// file or shares its destination with the other stream's pipe.
	lines       bool
	passthrough bool
	outSplice   bool // Out is a pipe: bytes may be spliced to it straight from r
	outBroken   bool
	log         func(string)
	// left is how many bytes the relay may still take once tinit exits
	// (Finish): what was in the pipe then. -1 before. A writer tinit
	// could not end may fill the pipe as fast as it is emptied; waiting
	// for it to be empty would never end.
	left int

	relayState
}

func newStream(name string, out int, passthrough bool, copyPath string, log func(string), wake int) (*Stream, error) {
	var c *copyFile
	if copyPath != "" {
		var err error
		if c, err = openCopyFile(copyPath); err != nil {
			return nil, err
		}
	}
	return makeStream(name, out, passthrough, c, log, wake)
}

// makeStream makes the stream's pipe; it takes over c, releasing it on
// failure and on a stream that passes through.
func makeStream(name string, out int, passthrough bool, c *copyFile, log func(string), wake int) (*Stream, error) {
	s := &Stream{Name: name, Out: out, r: -1, w: -1, passthrough: passthrough, log: log, wake: wake, copy: c, left: -1, sink: newSink(out)}
	// Others may append to a copy file at the same time (another tinit,
	// the test itself), so each append must end at a newline.
	s.lines = c != nil
	if passthrough {
		s.close()
		return s, nil
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		s.close()
		return nil, errors.New(name + " pipe: " + err.Error())
	}
	s.r, s.w = p[0], p[1]
	// Non-blocking on tinit's side only: the child's end is an open file
	// of its own, and stays blocking.
	if err := unix.SetNonblock(s.r, true); err != nil {
		s.close()
		return nil, errors.New(name + " pipe: " + err.Error())
	}
	s.outSplice = s.sink.kind == sinkPipe
	growPipe(s.r, pipeSize)
	growPipe(out, pipeSize)
	var st unix.Stat_t
	if err := unix.Fstat(s.r, &st); err != nil {
		s.close()
		return nil, errors.New(name + " pipe: " + err.Error())
	}
	s.Inode = st.Ino
	return s, nil
}

// childFd is the fd the child gets as this stream.
func (s *Stream) childFd() int {
	if s.passthrough {
		return s.Out
	}
	return s.w
}

func (s *Stream) closeWriteEnd() {
	if s.w >= 0 {
		_ = unix.Close(s.w)
		s.w = -1
	}
}

func (s *Stream) close() {
	s.closeWriteEnd()
	s.rMu.Lock()
	if s.r >= 0 {
		_ = unix.Close(s.r)
		s.r = -1
	}
	s.rMu.Unlock()
	if s.copy != nil {
		s.copy.release()
		s.copy = nil
	}
}

// queued is how many bytes wait in the pipe, 0 once it is closed.
func (s *Stream) queued() int {
	s.rMu.Lock()
	defer s.rMu.Unlock()
	if s.r < 0 {
		return 0
	}
	n, err := unix.IoctlGetInt(s.r, unix.TIOCINQ)
	if err != nil {
		return 0
	}
	return n
}

// most is n, or fewer once Finish has limited what is left to take.
func (s *Stream) most(n int) int {
	if s.left >= 0 {
		return min(n, s.left)
	}
	return n
}

// took counts n bytes read against what is left to take after Finish.
func (s *Stream) took(n int) {
	if s.left >= 0 && n > 0 {
		s.left -= min(n, s.left)
	}
}

// growPipe makes the pipe behind fd hold at least size bytes, if fd is a
// pipe and the kernel allows it. A splice moves at most what the output
// pipe has room for, so a relay into a default 64 KiB pipe
// wakes sixteen times as often as into one of 1 MiB: growing tinit's own
// output pipe, when it is one, doubles forwarding throughput. It never
// shrinks a pipe: that would take room from whoever sized it.
func growPipe(fd, size int) {
	if cur, err := unix.FcntlInt(uintptr(fd), unix.F_GETPIPE_SZ, 0); err == nil && cur < size {
		_, _ = unix.FcntlInt(uintptr(fd), unix.F_SETPIPE_SZ, size)
	}
}

func isTerminal(fd int) bool {
	_, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	return err == nil
}

// outputBroken records that tinit's own output is gone, and says so once;
// the relay then closes the pipe.
func (s *Stream) outputBroken(err error) {
	if !s.outBroken {
		s.outBroken = true
		s.log("cannot write to " + s.outName() + " (" + err.Error() + "); closing the child's " + s.Name + ", as if tinit were not there")
	}
}

func (s *Stream) outName() string {
	if s.Out == 1 {
		return "stdout"
	}
	if s.Out == 2 {
		return "stderr"
	}
	return "fd " + strconv.Itoa(s.Out)
}
