package procview

import (
	"bytes"
	"os"
	"strconv"
)

// Tracer is the pid of the process that ptraces p, as this pid namespace
// names it, or 0: none, or one outside the namespace, which /proc shows as
// 0 too. A traced process that dies stays a zombie that only its tracer may
// reap first. procfs reads no TracerPid, so the status file is read here.
func Tracer(p *Proc) int {
	b, err := os.ReadFile(procDir(p.PID) + "/status")
	if err != nil {
		return 0
	}
	_, rest, ok := bytes.Cut(b, []byte("\nTracerPid:"))
	if !ok {
		return 0
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	n, err := strconv.Atoi(string(bytes.TrimSpace(line)))
	if err != nil {
		return 0
	}
	return n
}
