package integration

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pauseReport is what --report says of a pause.
type pauseReport struct {
	Command    []string        `json:"command"`
	ExitStatus int             `json:"exit_status"`
	Error      *string         `json:"error"`
	MainChild  json.RawMessage `json:"main_child"`
	MainMs     *int64          `json:"main_ms"`
	Leaked     []any           `json:"leaked"`
}

// TestCorePauseStops: tinit -P runs nothing and sits still through
// signals other than SIGTERM and SIGINT; either of those ends it with 0,
// as catatonit -P, and --report writes a report with no main child.
func TestCorePauseStops(t *testing.T) {
	for _, stop := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(stop.String(), func(t *testing.T) {
			forCoreModes(t, func(t *testing.T, m coreMode) {
				rep := filepath.Join(t.TempDir(), "report.json")
				p := startCore(t, m, nil, "-vv", "--pause", "--report", rep)
				pid := pausedPID(t, p)
				waitFor(t, 10*time.Second, "tinit to pause", func() bool {
					return strings.Contains(p.err.String(), "pausing")
				})
				for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGTSTP} {
					if err := syscall.Kill(pid, sig); err != nil {
						t.Fatal(err)
					}
					waitFor(t, 10*time.Second, sig.String()+" to be taken", func() bool {
						return strings.Contains(p.err.String(), "no child to forward "+sigName(sig)+" to")
					})
				}
				sent := time.Now()
				if err := syscall.Kill(pid, stop); err != nil {
					t.Fatal(err)
				}
				r := p.wait(t, 10*time.Second)
				want := "tinit: pausing: reaping orphans until SIGTERM or SIGINT\n" +
					"tinit: pausing: no child to forward SIGHUP to\n" +
					"tinit: pausing: no child to forward SIGQUIT to\n" +
					"tinit: pausing: no child to forward SIGUSR1 to\n" +
					"tinit: pausing: no child to forward SIGTSTP to\n" +
					"tinit: " + sigName(stop) + " ended the pause; nothing is left\n" +
					"tinit: exiting with status 0\n"
				if r.Code != 0 || r.Stdout != "" || r.Stderr != want || time.Since(sent) > time.Second {
					t.Fatalf("code %d after %v, stdout %q, stderr:\n%s\nwant 0 within 1s and:\n%s", r.Code, time.Since(sent), r.Stdout, r.Stderr, want)
				}
				var got pauseReport
				b, err := os.ReadFile(rep)
				if err != nil || json.Unmarshal(b, &got) != nil {
					t.Fatalf("report: %v\n%s", err, b)
				}
				if got.ExitStatus != 0 || got.Command == nil || len(got.Command) != 0 || got.Error != nil ||
					string(got.MainChild) != "null" || got.MainMs != nil || got.Leaked == nil || len(got.Leaked) != 0 {
					t.Fatalf("report: %s", b)
				}
			})
		})
	}
}

func sigName(s syscall.Signal) string {
	return map[syscall.Signal]string{syscall.SIGHUP: "SIGHUP", syscall.SIGINT: "SIGINT", syscall.SIGQUIT: "SIGQUIT",
		syscall.SIGUSR1: "SIGUSR1", syscall.SIGTERM: "SIGTERM", syscall.SIGTSTP: "SIGTSTP"}[s]
}

// TestCorePauseAdoptsAndEnds: processes that join a paused tinit's pid
// namespace (as a pod's containers join its infra's) and are orphaned
// there become tinit's children; tinit ps shows them, a stop draws them
// on stderr, and they get SIGTERM, then SIGKILL --kill-after later for
// one that ignores SIGTERM; tinit exits 0 within kill-after + 1 s. A
// second stop kills at once.
func TestCorePauseAdoptsAndEnds(t *testing.T) {
	requireTool(t, "nsenter", "util-linux")
	for _, second := range []bool{false, true} {
		name, killAfter := "kill-after", time.Second
		if second {
			name, killAfter = "second-stop", time.Minute
		}
		t.Run(name, func(t *testing.T) {
			rep := filepath.Join(t.TempDir(), "report.json")
			p := startCore(t, coreMode{"pid1", true}, nil, "-P", "--kill-after", killAfter.String(), "--report", rep)
			pid := pausedPID(t, p)
			enter := func(args ...string) result {
				return run(t, 20*time.Second, append([]string{"nsenter", "--target", strconv.Itoa(pid), "--pid", "--mount"}, args...)...)
			}
			if r := enter("sh", "-c", `(exec sleep 1000 </dev/null >/dev/null 2>&1 &); (trap '' TERM; exec sleep 1001 </dev/null >/dev/null 2>&1 &)`); r.Code != 0 {
				t.Fatalf("nsenter: %+v", r)
			}
			waitFor(t, 10*time.Second, "tinit to adopt both sleeps", func() bool { return len(childrenOf(pid)) == 2 })
			ps := enter(tinitBin, "ps")
			lines := strings.Split(ps.Stdout, "\n")
			if ps.Code != 0 || len(lines) != 5 || !regexp.MustCompile(`^1 \[(sleeping|running), `).MatchString(lines[0]) ||
				!strings.HasSuffix(lines[0], "] "+tinitBin+" -P --kill-after "+killAfter.String()+" --report "+rep) ||
				!strings.HasSuffix(lines[1], "] sleep 1000  <- orphan") || !strings.HasSuffix(lines[2], "] sleep 1001  <- orphan") ||
				lines[3] != "paused (-P): no command, no output pipe; 2 orphans adopted" || lines[4] != "" {
				t.Fatalf("tinit ps: code %d\n%s%s", ps.Code, ps.Stdout, ps.Stderr)
			}
			sent := time.Now()
			if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if second {
				waitFor(t, 10*time.Second, "the first SIGTERM to end sleep 1000", func() bool { return len(childrenOf(pid)) == 1 })
				if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
					t.Fatal(err)
				}
			}
			r := p.wait(t, killAfter+5*time.Second)
			took := time.Since(sent)
			want := regexp.MustCompile(`^tinit: SIGTERM ended the pause; 2 processes are left; ending them:
tinit:   1 \[(sleeping|running)\] \S+ -P --kill-after \S+ --report \S+
tinit:   ├─ \d+ \[sleeping\] sleep 1000
tinit:   └─ \d+ \[sleeping\] sleep 1001
`)
			if r.Code != 0 || !want.MatchString(r.Stderr) {
				t.Fatalf("code %d, stderr:\n%s\nwant 0 and:\n%s", r.Code, r.Stderr, want)
			}
			// The report lists what was left, each with the last signal
			// tinit sent it.
			var got struct {
				ExitStatus int `json:"exit_status"`
				Leaked     []struct {
					Cmdline []string `json:"cmdline"`
					Signal  *string  `json:"signal"`
				} `json:"leaked"`
			}
			b, err := os.ReadFile(rep)
			if err != nil || json.Unmarshal(b, &got) != nil || got.ExitStatus != 0 || len(got.Leaked) != 2 {
				t.Fatalf("report: %v\n%s", err, b)
			}
			for i, want := range []string{"sleep 1000 SIGTERM", "sleep 1001 SIGKILL"} {
				l := got.Leaked[i]
				if l.Signal == nil || strings.Join(l.Cmdline, " ")+" "+*l.Signal != want {
					t.Errorf("leaked[%d] is %s, want %s", i, b, want)
				}
			}
			if second && !strings.Contains(r.Stderr, "tinit: told again to stop: killing every process that is left\n") {
				t.Fatalf("the second SIGTERM was not taken as one: stderr:\n%s", r.Stderr)
			}
			if !second && (took < killAfter || took > killAfter+time.Second) {
				t.Fatalf("exited %v after SIGTERM, want between kill-after (%v) and kill-after + 1s: the TERM-ignoring sleep ends by SIGKILL", took, killAfter)
			}
			if second && took > time.Second+time.Second {
				t.Fatalf("exited %v after the first SIGTERM, want at once after the second", took)
			}
		})
	}
}

// pausedPID is the paused tinit's pid as the test sees it, once it pauses:
// its state memfd is made after its signal handlers and before its loop.
// Until then unshare's child may not have mounted /proc or become tinit.
func pausedPID(t *testing.T, p *coreProc) int {
	t.Helper()
	pid := p.cmd.Process.Pid
	if p.mode.ns {
		pid = childOf(t, pid)
	}
	waitFor(t, 10*time.Second, "tinit to pause", func() bool {
		fds, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/fd/*")
		for _, fd := range fds {
			if l, _ := os.Readlink(fd); strings.HasPrefix(l, "/memfd:tinit-state") {
				return true
			}
		}
		return false
	})
	return pid
}

// TestCorePauseEndsOnIgnoredSIGINT: a pause started with SIGINT ignored (a
// script's background job) still ends on SIGINT, as catatonit's does: with
// no child to inherit the ignoring, tinit has no reason to keep it.
func TestCorePauseEndsOnIgnoredSIGINT(t *testing.T) {
	cmd := exec.Command("sh", "-c", `trap '' INT; exec "$0" -v -P`, tinitBin)
	var errb lockedBuffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	waitFor(t, 10*time.Second, "tinit to pause", func() bool { return strings.Contains(errb.String(), "pausing") })
	if err := syscall.Kill(cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil || !strings.Contains(errb.String(), "tinit: SIGINT ended the pause; nothing is left\n") {
			t.Fatalf("tinit: %v, stderr:\n%s", err, errb.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("an ignored SIGINT did not end the pause; stderr:\n%s", errb.String())
	}
}
