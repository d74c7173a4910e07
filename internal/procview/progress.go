package procview

import (
	"bytes"
	"strconv"
)

// Written is how many bytes p has written so far (wchar of /proc/PID/io),
// and whether it waits in a write to a full pipe (its wchan): the two ways a
// relay shows it is still passing output on.
func Written(p *Proc) (n uint64, blocked bool, ok bool) {
	var r procReader
	dir := procRoot + "/" + strconv.Itoa(p.PID)
	threadDir := dir
	if p.taskDir != "" {
		threadDir = p.taskDir // the main thread has exited: its wchan is 0
	}
	if b, err := r.file(threadDir + "/wchan"); err == nil && bytes.HasSuffix(b, []byte("pipe_write")) {
		blocked = true
	}
	b, err := r.file(dir + "/io")
	if err != nil {
		return 0, blocked, blocked
	}
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte("\n"))
		if v, found := bytes.CutPrefix(line, []byte("wchar: ")); found {
			return decimal(v), blocked, true
		}
	}
	return 0, blocked, blocked
}
