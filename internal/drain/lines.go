package drain

import (
	"bytes"
	"time"
)

// lineWait is how long a partial line waits for its newline before it is
// handed out as it is, so that a prompt without a newline still appears.
const lineWait = 50 * time.Millisecond

// cutLines makes the next piece of a stream that hands out whole lines
// only: one that shares its destination with the other stream's pipe, or
// has a copy file, which others may append to at the same time. The piece
// ends at the last newline read; the partial line after it waits for its
// newline, for end of file, or for lineWait. A line longer than the buffer
// goes out in pieces. The bytes before start had no newline.
func (s *Stream) cutLines(start int, now time.Time) {
	if i := bytes.LastIndexByte(s.buf[start:s.end], '\n'); i >= 0 {
		s.piece = start + i + 1
		s.heldSince = now
		return
	}
	if start == 0 {
		s.heldSince = now
	}
	if s.end == len(s.buf) {
		s.piece = s.end
	}
}

// lineDeadline is when the stream's partial line goes out without its
// newline, if it holds one.
func (s *Stream) lineDeadline() (time.Time, bool) {
	if !s.lines || s.finished || s.piece > 0 || s.end == 0 {
		return time.Time{}, false
	}
	return s.heldSince.Add(lineWait), true
}
