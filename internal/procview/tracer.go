package procview

import (
	"bytes"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
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

// FdsHidden tells that p's fd table is not the caller's to read: p made
// itself undumpable (PR_SET_DUMPABLE 0), or runs as another user, and the
// caller has no CAP_SYS_PTRACE over it. Whether it holds a pipe is then
// unknown.
func FdsHidden(p *Proc) bool {
	fd, err := unix.Open(procDir(p.PID)+"/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err == nil {
		_ = unix.Close(fd)
	}
	return err == unix.EACCES || err == unix.EPERM
}
