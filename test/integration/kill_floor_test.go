package integration

import (
	"os"
	"os/exec"
	"strconv"
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

// killFloorFds is killFloor for the holders of TestLeakManyFds: how long
// the kernel takes, here and now, from SIGKILL to end of file for n
// processes that each hold fds copies of /dev/null beside the pipe, with
// no init in between. Closing 750,000 fds is the kernel's work, and under
// load it alone can take most of a second.
func killFloorFds(t *testing.T, bin string, n, fds int) time.Duration {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	mark := newMark(t)
	c := exec.Command(bin)
	c.Env = append(os.Environ(), "HOSTILE_MODE=manyfds", "HOSTILE_N="+strconv.Itoa(n), "HOSTILE_FDS="+strconv.Itoa(fds), "HOSTILE_MARK="+mark)
	c.Stdout, c.Stderr = w, w
	if err := c.Run(); err != nil {
		t.Fatalf("hostile manyfds: %v", err)
	}
	w.Close()
	line := make([]byte, 64)
	if k, _ := r.Read(line); string(line[:k]) != "started "+strconv.Itoa(n)+"\n" {
		t.Fatalf("hostile manyfds said %q", line[:k])
	}
	var pids []int
	waitFor(t, 10*time.Second, "the holders", func() bool { pids = marked(mark); return len(pids) == n })
	start := time.Now()
	for _, pid := range pids {
		_ = unix.Kill(pid, unix.SIGKILL)
	}
	if k, err := r.Read(line); err == nil {
		t.Fatalf("a holder wrote %q to the pipe", line[:k])
	}
	return time.Since(start)
}
