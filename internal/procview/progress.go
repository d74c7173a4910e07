package procview

import "strings"

// Written is how many bytes p has written so far (wchar of /proc/PID/io),
// and whether it waits in a write to a full pipe (its wchan): the two ways a
// relay shows it is still passing output on.
func Written(p *Proc) (n uint64, blocked bool, ok bool) {
	proc, t, err := p.at()
	if err != nil {
		return 0, false, false
	}
	// When the main thread has exited, its wchan is 0: t is a live one.
	if w, err := t.Wchan(); err == nil && strings.HasSuffix(w, "pipe_write") {
		blocked = true
	}
	io, err := proc.IO()
	if err != nil {
		return 0, blocked, blocked
	}
	return io.WChar, blocked, true
}
