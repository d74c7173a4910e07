package subreaper

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"tinit/internal/drain"
)

// exitedChild names a child that has exited and leaves it a zombie, so
// /proc can still tell its name; the caller's wait reaps it after.
func TestExitedChildLeavesZombie(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := exitedChild()
		if got == pid {
			break
		}
		if got != 0 {
			t.Fatalf("exitedChild() = %d, the only child is %d", got, pid)
		}
		if time.Now().After(deadline) {
			t.Fatalf("child %d never showed as exited", pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil || !strings.Contains(string(stat), ") Z ") {
		t.Fatalf("child %d is not a zombie after exitedChild: %q %v", pid, stat, err)
	}
	if name := drain.ProcName(pid); name != "true" {
		t.Fatalf("ProcName(%d) = %q, want true", pid, name)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if got := exitedChild(); got != 0 {
		t.Fatalf("exitedChild() = %d with no child left", got)
	}
}

func TestPidAndName(t *testing.T) {
	if got := pidAndName(12, "sleep"); got != "12 (sleep)" {
		t.Fatal(got)
	}
	if got := pidAndName(12, "a\x1bb"); got != `12 ("a\x1bb")` {
		t.Fatal(got)
	}
	if got := pidAndName(12, ""); got != "12" {
		t.Fatal(got)
	}
}
