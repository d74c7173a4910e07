package integration

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// killFloor is how long the kernel takes, here and now, to end n sleeping
// processes that hold one pipe: from the first SIGTERM to end of file, with
// no init in between. tinit cannot end leaks faster than that, and on a
// small virtual machine it is most of a second for 2,000 processes, so a
// bound on ending n leaks is tinit's own promise plus this floor, measured
// in the same run.
func killFloor(t *testing.T, n int) time.Duration {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmds := make([]*exec.Cmd, 0, n)
	defer func() {
		for _, c := range cmds {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
	}()
	for range n {
		c := exec.Command("sleep", "1000")
		c.Stdout, c.Stderr = w, w
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, c)
	}
	w.Close()
	start := time.Now()
	for _, c := range cmds {
		_ = unix.Kill(c.Process.Pid, unix.SIGTERM)
	}
	if _, err := r.Read(make([]byte, 1)); err == nil {
		t.Fatal("a sleep wrote to the pipe")
	}
	return time.Since(start)
}
