package subreaper

import "golang.org/x/sys/unix"

// exitCode is the shell's rule: the exit code, or 128+N for death by signal N.
func exitCode(ws unix.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// finalStatus applies -e: listed codes become 0.
func finalStatus(ws unix.WaitStatus, remap *[256]bool) int {
	c := exitCode(ws)
	if c >= 0 && c < 256 && remap[c] {
		return 0
	}
	return c
}
