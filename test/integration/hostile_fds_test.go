package integration

import (
	"path/filepath"
	"testing"
	"time"
)

// A child that closes stdout and stderr at once and runs on: the pipes are
// at end of file, so tinit waits for the child's exit, not for a grace
// period, and everything written before the close arrives.
func TestHostileClosesOutputAndRunsOn(t *testing.T) {
	rep := filepath.Join(t.TempDir(), "report.json")
	r := inNS(t, 30*time.Second, "--grace", "30s", "--report", rep, "--",
		"sh", "-c", "echo out; echo err >&2; exec >&- 2>&-; sleep 1; exit 4")
	rp := readReport(t, rep)
	if r.Code != 4 || r.Stdout != "out\n" || r.Stderr != "err\n" {
		t.Fatalf("got code %d stdout %q stderr %q, want 4, %q, %q", r.Code, r.Stdout, r.Stderr, "out\n", "err\n")
	}
	if rp.MainMs < 1000 || rp.DrainMs != 0 || len(rp.Leaked) != 0 {
		t.Fatalf("report: main %d ms, drain %d ms, %d leaked; want main >= 1000, drain 0, none leaked", rp.MainMs, rp.DrainMs, len(rp.Leaked))
	}
	if d := rp.afterMain(); d > time.Second {
		t.Fatalf("tinit ran %v after its child exited, want no grace period", d)
	}
}

// A child that moves its output to /dev/null and leaves a process behind
// that holds no pipe: the output is complete when the child has exited, so
// the leftover gets SIGTERM at once and does not survive.
func TestHostileReopensDevNull(t *testing.T) {
	rep := filepath.Join(t.TempDir(), "report.json")
	mark := newMark(t)
	r := plain(t, 30*time.Second, "--grace", "30s", "--kill-after", "30s", "--report", rep, "--",
		"bash", "-c", `echo out; echo err >&2; exec >/dev/null 2>&1; (exec -a "$0" sleep 1000) & exit 5`, mark)
	rp := readReport(t, rep)
	if r.Code != 5 || r.Stdout != "out\n" || r.Stderr != "err\n" {
		t.Fatalf("got code %d stdout %q stderr %q, want 5, %q, %q", r.Code, r.Stdout, r.Stderr, "out\n", "err\n")
	}
	if d := rp.afterMain(); d > 5*time.Second || len(rp.Leaked) != 0 {
		t.Fatalf("tinit ran %v after its child exited with %d leaked holders; want a prompt exit, none leaked", d, len(rp.Leaked))
	}
	if left := marked(mark); len(left) > 0 {
		t.Fatalf("the leftover sleep %v survived tinit", left)
	}
}

// The child passes its stdout and stderr to a grandchild over a unix socket
// (SCM_RIGHTS) and exits 7; the grandchild, whose own fds are /dev/null,
// writes once the child is gone. tinit waits for it within the grace period,
// delivers its lines, and exits 7. When the grandchild keeps the fds, tinit
// finds it through them, ends it, and still exits 7.
func TestHostilePassesOutputOverSocket(t *testing.T) {
	for _, tc := range []struct {
		name, hold string
		leaked     int
	}{{"Writes", "0", 0}, {"Holds", "1", 1}} {
		t.Run(tc.name, func(t *testing.T) {
			rep := filepath.Join(t.TempDir(), "report.json")
			grace := "30s"
			if tc.leaked > 0 {
				grace = hostileGrace.String()
			}
			r := runCmd(t, 60*time.Second, withEnv(nsArgv(t, "--grace", grace, "--kill-after", hostileKillAfter.String(),
				"--report", rep, "--", hostile(t)), "HOSTILE_MODE=passfd", "HOSTILE_HOLD="+tc.hold))
			rp := readReport(t, rep)
			if r.Code != 7 || r.Stdout != "from child\nfrom grandchild\n" {
				t.Fatalf("got code %d stdout %q, want 7 and both lines\nstderr: %s", r.Code, r.Stdout, r.Stderr)
			}
			if len(rp.Leaked) != tc.leaked {
				t.Fatalf("report names %d leaked, want %d\nstderr: %s", len(rp.Leaked), tc.leaked, r.Stderr)
			}
			if tc.leaked == 0 {
				if r.Stderr != "grandchild stderr\n" {
					t.Fatalf("stderr %q, want only the grandchild's line", r.Stderr)
				}
				return
			}
			if rp.Leaked[0].Cmdline[0] != "hostile-recv" || *rp.Leaked[0].Signal != "SIGTERM" {
				t.Fatalf("leaked %q ended by %v, want hostile-recv ended by SIGTERM", rp.Leaked[0].Cmdline, rp.Leaked[0].Signal)
			}
			if d := rp.afterMain(); d > hostileBound {
				t.Fatalf("tinit ran %v after its child exited, want at most %v", d, hostileBound)
			}
		})
	}
}
