package subreaper

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
	"tinit/internal/procview"

	"golang.org/x/sys/unix"
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
		got, err := exitedChild()
		if err != nil {
			t.Fatal(err)
		}
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
	if name := procview.ProcName(pid); name != "true" {
		t.Fatalf("ProcName(%d) = %q, want true", pid, name)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if got, err := exitedChild(); got != 0 || err != unix.ECHILD {
		t.Fatalf("exitedChild() = %d, %v with no child left", got, err)
	}
}

// A named reap never falls back to wait4(-1) while a child runs: a child
// that exited between waitid and wait4 would be reaped without its name.
func TestReapAllNamedLeavesRunningChild(t *testing.T) {
	cmd := exec.Command("sleep", "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	reaped := 0
	if !reapAll(true, func(int, unix.WaitStatus, string) { reaped++ }) || reaped != 0 {
		t.Fatalf("reapAll with a running child: reaped %d", reaped)
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
