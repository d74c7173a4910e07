package drain

import (
	"errors"
	"runtime"
	"tinit/internal/quietio"

	"golang.org/x/sys/unix"
)

// spliceChunk is the most one splice or tee asks for: the size of the pipe.
const spliceChunk = pipeSize

// copyBufSize is the buffer of the read/write path, used where splice cannot
// go (a terminal, a file) and for copy files.
const copyBufSize = 1 << 20

// errNoSplice says an end refused splice or tee; the stream falls back to
// read and write for good.
var errNoSplice = errors.New("splice not possible")

// forward moves the stream's bytes until end of file (every process that
// held the write end has closed it or died), or until tinit's own output
// breaks: then it closes the pipe, so the child's next write gets EPIPE or
// SIGPIPE exactly as it would have without tinit in between.
func (s *Stream) forward() {
	// Locked for good: the thread keeps SIGPIPE and SIGTTOU blocked and dies
	// with this goroutine, taking any SIGPIPE of ours still pending with it.
	runtime.LockOSThread()
	quietio.BlockWriteSignals()
	defer s.close()

	// A copy file is appended to, and others may append to it at the same
	// time (another tinit, the test itself): each append must end at a
	// newline, or their lines tear each other's. So a stream with a copy
	// goes by whole lines too, as one sharing its destination does.
	if s.lines != nil || s.copy != nil {
		s.forwardLines()
		return
	}
	fast := true
	for !s.outBroken && s.waitInput() {
		var eof bool
		var err error
		if fast {
			eof, err = s.spliceOnce()
			if errors.Is(err, errNoSplice) {
				fast = false
				continue
			}
		} else {
			eof, err = s.copyOnce()
		}
		if err != nil {
			s.log("reading the child's " + s.Name + ": " + err.Error())
			return
		}
		if eof {
			return
		}
	}
}

// waitInput waits until the pipe has bytes or is at end of file, and tells
// whether to go on. Once the drain is finished (tinit exits) it goes on only
// until it has taken the bytes that were in the pipe then: a holder tinit
// could not end may still have it open, and may write on as fast as it is
// read. Bytes already read are written out before it is asked again, so
// finishing never cuts the forwarding of them short.
func (s *Stream) waitInput() bool {
	goOn, _ := s.waitInputFor(-1)
	return goOn
}

// waitInputFor is waitInput for at most timeout ms (-1: no limit); ready
// tells whether the pipe has bytes or is at end of file.
func (s *Stream) waitInputFor(timeout int) (goOn, ready bool) {
	fds := []unix.PollFd{{Fd: int32(s.r), Events: unix.POLLIN}, {Fd: int32(s.wake), Events: unix.POLLIN}}
	for {
		if s.left == 0 {
			return false, false
		}
		n, err := unix.Poll(fds, timeout)
		if err == unix.EINTR {
			continue
		}
		if err == nil && fds[1].Revents != 0 && s.left < 0 {
			// Finish: from now on, only what is in the pipe now.
			s.left = 0
			if q, err := unix.IoctlGetInt(s.r, unix.TIOCINQ); err == nil {
				s.left = q
			}
			continue
		}
		if err != nil || fds[0].Revents != 0 {
			// A failed poll leaves it to the read to block or fail.
			return true, true
		}
		if n == 0 {
			return true, false
		}
	}
}

func (s *Stream) buffer() []byte {
	if s.buf == nil {
		s.buf = make([]byte, copyBufSize)
	}
	return s.buf
}

// spliceOnce moves one chunk to tinit's output without copying it through
// user memory. A stream with a copy file never comes here: it goes by
// whole lines (forwardLines), which splice cannot cut.
func (s *Stream) spliceOnce() (eof bool, err error) {
	if !s.outSplice {
		return false, errNoSplice
	}
	n, err := spliceTo(s.r, s.Out, s.most(spliceChunk))
	if err == unix.EINVAL {
		return false, errNoSplice
	}
	s.took(n)
	if err != nil {
		s.outFailed(err)
		return false, nil
	}
	return n == 0, nil
}

// copyOnce is the read/write path, for outputs that take no splice: a file,
// a terminal, /dev/null.
func (s *Stream) copyOnce() (eof bool, err error) {
	buf := s.buffer()
	n, err := unix.Read(s.r, buf[:s.most(len(buf))])
	if err == unix.EINTR {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	s.took(n)
	if n == 0 {
		return true, nil
	}
	if _, err := quietio.WriteAll(s.Out, buf[:n]); err != nil {
		s.outFailed(err)
	}
	return false, nil
}

func (s *Stream) outFailed(err error) {
	quietio.DropOwnSignal(err)
	s.outputBroken(err)
}

// copyFailed gives up the copy file (disk full, say) but never the stream.
// whole tells that the copy ends at a whole line.
func (s *Stream) copyFailed(err error, whole bool) {
	quietio.DropOwnSignal(err)
	how := "; copy stopped"
	if whole {
		how = "; copy stopped after its last whole line"
	}
	s.log("writing the " + s.Name + " copy to " + s.copy.path + ": " + err.Error() + how)
	s.copy.release()
	s.copy = nil
}

func spliceTo(in, out, n int) (int, error) {
	return retrying(out, func() (int, error) {
		m, err := unix.Splice(in, nil, out, nil, n, unix.SPLICE_F_MOVE)
		return int(m), err // int64 on some architectures, int on others
	})
}

// retrying repeats a splice cut short by a signal, or refused by an
// output that someone else made non-blocking, until it moves bytes or fails.
func retrying(out int, move func() (int, error)) (int, error) {
	for {
		m, err := move()
		switch err {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			quietio.WaitWritable(out)
			continue
		}
		return m, err
	}
}
