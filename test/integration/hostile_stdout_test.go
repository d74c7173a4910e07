package integration

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// tinit's stdout is a pipe nobody reads for two seconds while the child
// writes 6.9 MB, more than the pipes in between hold: tinit blocks in the
// kernel, burning no CPU (under 50 ms of user+system time over those two
// seconds), and once the reader reads, every byte arrives in order.
func TestHostileStalledReader(t *testing.T) {
	want, err := exec.Command("seq", "1", "1000000").Output()
	if err != nil {
		t.Fatal(err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	cmd := exec.Command(tinitBin, "--", "seq", "1", "1000000")
	cmd.Stdout = pw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	pid := cmd.Process.Pid
	// Wait until tinit has filled the reader's pipe and must block; the
	// two seconds after that are the stall itself.
	for deadline := time.Now().Add(10 * time.Second); queued(t, pr) < 64<<10; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the pipe holds only %d bytes after 10 s", queued(t, pr))
		}
	}
	before := cpuTicks(t, pid)
	time.Sleep(2 * time.Second)
	after := cpuTicks(t, pid)
	if used := after - before; used*1000/clockTicks > 50 {
		t.Errorf("tinit used %d ticks (%d ms) while its reader stalled, want under 50 ms", used, used*1000/clockTicks)
	}
	got, err := io.ReadAll(pr)
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("tinit: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("got %d bytes, want %d; first difference at %d", len(got), len(want), firstDiff(got, want))
	}
}

// queued is how many bytes wait in the pipe r reads.
func queued(t *testing.T, r *os.File) int {
	n, err := unix.IoctlGetInt(int(r.Fd()), unix.TIOCINQ)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// clockTicks is USER_HZ, which Linux fixes at 100 for /proc.
const clockTicks = 100

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
