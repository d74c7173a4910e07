package drain

import (
	"time"
	"tinit/internal/quietio"

	"golang.org/x/sys/unix"
)

// spliceChunk is the most one splice asks for: the size of the pipe.
const spliceChunk = pipeSize

// copyBufSize is the buffer of the read/write path, used where splice cannot
// go (a socket, a file, lines) and for copy files.
const copyBufSize = 1 << 20

// relayState is where a stream's forwarding stands between two steps of
// the relay.
type relayState struct {
	fast     bool // bytes go from r to Out by splice alone
	end      int  // bytes read into buf
	piece    int  // the first piece bytes of buf are on their way out
	sent     int  // of which these have reached Out
	eof      bool // r is at end of file, or failed
	finished bool // the stream is closed; the relay is done with it
	// heldSince is when the partial line at the start of buf was read.
	heldSince time.Time
	// waitFd and waitEv are what the stream waits for when a step could
	// not move anything: its pipe to have bytes, or its output to have
	// room. -1 when it waits for the other stream, or for time.
	waitFd int
	waitEv uint32
	parked bool // waits for waitFd: the relay steps it again once ep says so
}

// due tells whether a parked stream's partial line must go out now.
func (s *Stream) due(now time.Time) bool {
	at, ok := s.lineDeadline()
	return ok && !now.Before(at)
}

// step moves what the stream can move now without waiting, and tells
// whether it moved anything or changed state. When it did not, waitFd and
// waitEv say what it waits for.
func (s *Stream) step(now time.Time) bool {
	s.waitFd, s.waitEv = -1, 0
	progress := false
	if s.piece > 0 {
		moved := s.push()
		if s.piece > 0 {
			return moved
		}
		progress = true
		// The partial line after the piece waits for its newline from
		// now: the time a slow output or copy took over the piece was
		// no time it could have gone out, and cutting it would tear it.
		if t := time.Now(); t.After(now) {
			now = t
		}
		s.heldSince = now
	}
	switch {
	case s.outBroken:
		s.finish()
		return true
	case s.fast:
		return s.spliceStep() || progress
	case s.piece == 0 && s.end > 0 && s.lines && now.Sub(s.heldSince) >= lineWait:
		s.piece = s.end // a partial line waited long enough
		return true
	case s.eof || s.left == 0:
		if s.end > 0 {
			s.piece = s.end
		} else {
			s.finish()
		}
		return true
	}
	return s.readStep(now) || progress
}

// spliceStep moves one chunk to tinit's output without copying it through
// user memory. Only a stream into a pipe with neither lines nor a copy file
// comes here.
func (s *Stream) spliceStep() bool {
	if s.eof || s.left == 0 {
		s.finish()
		return true
	}
	n, err := quietio.Quietly(func() (int, error) { return rawSplice(s.r, s.Out, s.most(spliceChunk)) })
	switch {
	case err == unix.EINTR:
		return true
	case err == unix.EAGAIN:
		// Either end may be the one that is not ready.
		if q, _ := rawQueued(s.r); q > 0 {
			s.waitFd, s.waitEv = s.Out, unix.EPOLLOUT
		} else {
			s.waitFd, s.waitEv = s.r, unix.EPOLLIN
		}
		return false
	case err == unix.EINVAL:
		// The output takes no splice after all: read and write.
		s.fast = false
		s.sink.prepare()
		return true
	case err != nil:
		s.outFailed(err)
		return true
	}
	s.took(n)
	if n == 0 {
		s.eof = true
	}
	return true
}

// readStep reads what the pipe has into buf, and makes a piece of it.
func (s *Stream) readStep(now time.Time) bool {
	if s.buf == nil {
		// A stream that never carries a byte never gets its 1 MiB
		// buffer: most children write nothing to one of their streams.
		if q, err := rawQueued(s.r); err == nil && q == 0 {
			return s.probeStep()
		}
	}
	buf := s.buffer()
	start := s.end
	want := s.most(len(buf) - start)
	n, err := rawRead(s.r, buf[start:start+want])
	switch {
	case err == unix.EINTR:
		return true
	case err == unix.EAGAIN:
		s.waitFd, s.waitEv = s.r, unix.EPOLLIN
		return false
	case err != nil:
		s.log("reading the child's " + s.Name + ": " + err.Error())
		s.eof = true
		return true
	}
	s.took(n)
	if n == 0 {
		s.eof = true
		return true
	}
	s.end += n
	if s.lines {
		s.cutLines(start, now)
	} else {
		s.piece = s.end
	}
	if s.piece == 0 && n < want {
		// The pipe is empty now: wait for it without reading it empty
		// once more.
		s.waitFd, s.waitEv = s.r, unix.EPOLLIN
	}
	return true
}

// probeStep reads at most one byte from an empty pipe: it tells end of
// file from no bytes yet, without a buffer.
func (s *Stream) probeStep() bool {
	var one [1]byte
	n, err := rawRead(s.r, one[:s.most(1)])
	switch {
	case err == unix.EAGAIN:
		s.waitFd, s.waitEv = s.r, unix.EPOLLIN
		return false
	case err == unix.EINTR:
		return true
	case err != nil:
		s.log("reading the child's " + s.Name + ": " + err.Error())
		s.eof = true
		return true
	}
	s.took(n)
	if n == 0 {
		s.eof = true
		return true
	}
	s.buffer()[0] = one[0]
	s.end = 1
	if s.lines {
		s.cutLines(0, time.Now())
	} else {
		s.piece = 1
	}
	return true
}

// push moves what it can of the piece on its way, and finishes the piece
// once all of it has reached the output, or the output broke.
func (s *Stream) push() bool {
	k := s.sink
	if k.owner != nil && k.owner != s {
		return false // the other stream's piece goes first: it is moved in the same pass
	}
	k.owner = s
	n, wait, err := k.put(s.buf[:s.piece], s.sent)
	s.sent += n
	switch {
	case err != nil:
		s.outFailed(err)
	case s.sent < s.piece:
		if wait {
			s.waitFd, s.waitEv = k.fd, unix.EPOLLOUT
		}
		return n > 0
	}
	s.pieceDone()
	return true
}

// pieceDone hands the copy file what reached the output of the piece, as
// tee -a's file holds exactly what was forwarded, and moves what was read
// after the piece to the front of buf.
func (s *Stream) pieceDone() {
	if s.copy != nil && s.sent > 0 {
		var whole bool
		_, err := quietio.Quietly(func() (int, error) {
			var err error
			whole, err = s.copy.append(s.buf[:s.sent])
			return 0, err
		})
		if err != nil {
			s.copyFailed(err, whole)
		}
	}
	s.sink.owner = nil
	s.end = copy(s.buf, s.buf[s.piece:s.end])
	s.piece, s.sent = 0, 0
}

// finish closes the stream: its pipe at end of file or its output broken.
// A broken output closes the pipe, so the child's next write gets EPIPE or
// SIGPIPE exactly as it would have without tinit in between.
func (s *Stream) finish() {
	if s.sink.owner == s {
		s.sink.owner = nil
	}
	s.finished = true
	s.close()
}

func (s *Stream) buffer() []byte {
	if s.buf == nil {
		s.buf = make([]byte, copyBufSize)
	}
	return s.buf
}

func (s *Stream) outFailed(err error) {
	quietio.DropOwnSignal(err)
	s.outputBroken(err)
}

// copyFailed gives up the copy file (disk full, say) but never the stream.
// whole tells that the copy ends at a whole line.
func (s *Stream) copyFailed(err error, whole bool) {
	how := "; copy stopped"
	if whole {
		how = "; copy stopped after its last whole line"
	}
	s.log("writing the " + s.Name + " copy to " + s.copy.path + ": " + err.Error() + how)
	s.copy.release()
	s.copy = nil
}
