package integration

import (
	"bufio"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// 10,000 SIGUSR1s to tinit while its child writes a numbered line every
// millisecond, then one SIGUSR2. Standard signals coalesce in the kernel
// (a pending one is not queued twice), in tinit and again in the child, so
// "every one is forwarded or counted" cannot mean 10,000 arrive: it means
// the child sees SIGUSR1 at least once, tinit stays responsive (the later,
// distinct SIGUSR2 still arrives and ends the child normally), and not one
// line of the output is lost.
func TestHostileSignalStorm(t *testing.T) {
	for _, mode := range []string{"Subreaper", "Pid1"} {
		t.Run(mode, func(t *testing.T) {
			argv := []string{tinitBin, "--", hostile(t)}
			if mode == "Pid1" {
				argv = nsArgv(t, "--", hostile(t))
			}
			cmd := withEnv(argv, "HOSTILE_MODE=trap")
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
			lines := make(chan string, 1<<16)
			go func() {
				sc := bufio.NewScanner(out)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			if l := <-lines; l != "ready" {
				t.Fatalf("first line %q, want ready", l)
			}
			pid := cmd.Process.Pid
			if mode == "Pid1" {
				pid = childOf(t, pid)
			}
			for i := 0; i < 10000; i++ {
				if err := syscall.Kill(pid, syscall.SIGUSR1); err != nil {
					t.Fatalf("kill %d: %v", i, err)
				}
			}
			sent := time.Now()
			if err := syscall.Kill(pid, syscall.SIGUSR2); err != nil {
				t.Fatal(err)
			}
			var got []string
			timeout := time.After(30 * time.Second)
		collect:
			for {
				select {
				case l, ok := <-lines:
					if !ok {
						break collect
					}
					got = append(got, l)
				case <-timeout:
					t.Fatalf("no exit 30 s after SIGUSR2; last lines %q", got[max(0, len(got)-3):])
				}
			}
			err = cmd.Wait()
			t.Logf("exit %v %v after SIGUSR2", err, time.Since(sent))
			if err != nil || stderr.String() != "" {
				t.Fatalf("tinit: %v, stderr %q; want exit 0 and nothing on stderr", err, stderr.String())
			}
			checkStormLines(t, got)
		})
	}
}

// checkStormLines wants "line 0" ... "line N" without a gap, then "usr1 K"
// with K >= 1.
func checkStormLines(t *testing.T, got []string) {
	t.Helper()
	if len(got) < 2 {
		t.Fatalf("output %q too short", got)
	}
	for i, l := range got[:len(got)-1] {
		if want := fmt.Sprintf("line %d", i); l != want {
			t.Fatalf("line %d is %q, want %q", i, l, want)
		}
	}
	var k int
	if _, err := fmt.Sscanf(got[len(got)-1], "usr1 %d", &k); err != nil || k < 1 {
		t.Fatalf("last line %q, want usr1 N with N >= 1", got[len(got)-1])
	}
	t.Logf("%d lines, the child counted %d of 10000 SIGUSR1", len(got)-1, k)
}
