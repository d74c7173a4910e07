package drain

import (
	"bytes"
	"time"
	"tinit/internal/quietio"

	"golang.org/x/sys/unix"
)

// lineWait is how long a partial line waits for its newline before it is
// handed out as it is, so that a prompt without a newline still appears.
const lineWait = 50 * time.Millisecond

// forwardLines is forwarding for a stream that shares a destination with
// the other one through a second pipe, or has a copy file: it hands out whole lines only, each
// chunk under the shared lock, so the two streams' lines interleave but are
// never torn. A partial line waits for its newline, for end of file, or for
// lineWait; a line longer than the buffer goes out in pieces.
func (s *Stream) forwardLines() {
	buf := s.buffer()
	held := 0 // bytes of a partial line at the start of buf
	var heldSince time.Time
	for !s.outBroken {
		timeout := -1
		if held > 0 {
			left := lineWait - time.Since(heldSince)
			if left <= 0 {
				s.handOut(buf[:held])
				held = 0
				continue
			}
			timeout = int((left + time.Millisecond - 1) / time.Millisecond)
		}
		goOn, ready := s.waitInputFor(timeout)
		if !goOn {
			break
		}
		if !ready {
			continue
		}
		n, err := unix.Read(s.r, buf[held:held+s.most(len(buf)-held)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			s.log("reading the child's " + s.Name + ": " + err.Error())
			break
		}
		s.took(n)
		if n == 0 {
			break
		}
		end := held + n
		if i := bytes.LastIndexByte(buf[held:end], '\n'); i >= 0 {
			cut := held + i + 1
			s.handOut(buf[:cut])
			held = copy(buf, buf[cut:end])
			heldSince = time.Now()
			continue
		}
		if held == 0 {
			heldSince = time.Now()
		}
		held = end
		if held == len(buf) {
			s.handOut(buf)
			held = 0
		}
	}
	if held > 0 && !s.outBroken {
		s.handOut(buf[:held])
	}
}

// handOut writes b to tinit's output and then to the copy file, under the
// lock the two streams share when they share a destination. The copy holds
// exactly what was forwarded, as tee -a's file does: all of b, or, when the
// output breaks partway through b, the part the output took.
func (s *Stream) handOut(b []byte) {
	if s.lines != nil {
		s.lines.Lock()
		defer s.lines.Unlock()
	}
	n, err := quietio.WriteAll(s.Out, b)
	if err != nil {
		s.outFailed(err)
	}
	if s.copy != nil && n > 0 {
		if whole, err := s.copy.append(b[:n]); err != nil {
			s.copyFailed(err, whole)
		}
	}
}
