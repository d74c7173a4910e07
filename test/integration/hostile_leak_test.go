package integration

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	hostileGrace     = 300 * time.Millisecond
	hostileKillAfter = 300 * time.Millisecond
	// hostileBound is the promise: tinit exits within grace + kill-after
	// + 1 s of its main child's exit, whatever the leakers do.
	hostileBound = hostileGrace + hostileKillAfter + time.Second
)

// leakModes are two fork bombs that hold stdout and stderr: one forks a
// holder every 5 ms for as long as it lives, one forks 2,000 at once.
var leakModes = []struct {
	name, mode, stdout string
	minLeaked          int
}{
	{"ForkLoop", "forkloop", "started\n", 2},
	{"Mass2000", "mass", "started 2000\n", 2000},
}

// As pid 1: tinit ends every leaker within the bound, names each in the
// report with the signal that ended it, and keeps the main child's status.
func TestHostileForkBombPid1(t *testing.T) {
	for _, lm := range leakModes {
		t.Run(lm.name, func(t *testing.T) {
			rep := filepath.Join(t.TempDir(), "report.json")
			mark := newMark(t)
			r := runCmd(t, 60*time.Second, withEnv(nsArgv(t, "--grace", hostileGrace.String(),
				"--kill-after", hostileKillAfter.String(), "--report", rep, "--", hostile(t)),
				"HOSTILE_MODE="+lm.mode, "HOSTILE_MARK="+mark))
			checkForkBomb(t, r, readReport(t, rep), lm.stdout, lm.minLeaked)
		})
	}
}

// As a subreaper, nothing kills the leakers for tinit when it exits: no
// descendant may survive it.
func TestHostileForkBombSubreaper(t *testing.T) {
	for _, lm := range leakModes {
		t.Run(lm.name, func(t *testing.T) {
			rep := filepath.Join(t.TempDir(), "report.json")
			mark := newMark(t)
			r := runCmd(t, 60*time.Second, withEnv([]string{tinitBin, "--grace", hostileGrace.String(),
				"--kill-after", hostileKillAfter.String(), "--report", rep, "--", hostile(t)},
				"HOSTILE_MODE="+lm.mode, "HOSTILE_MARK="+mark))
			if left := marked(mark); len(left) > 0 {
				t.Fatalf("%d leaked processes survived tinit, e.g. pid %d", len(left), left[0])
			}
			checkForkBomb(t, r, readReport(t, rep), lm.stdout, lm.minLeaked)
		})
	}
}

func checkForkBomb(t *testing.T, r result, rep report, stdout string, minLeaked int) {
	t.Helper()
	if r.Code != 0 || r.Stdout != stdout || rep.ExitStatus != 0 {
		t.Fatalf("got code %d (report %d) stdout %q, want 0 and %q\nstderr: %.2000s", r.Code, rep.ExitStatus, r.Stdout, stdout, r.Stderr)
	}
	bound := hostileBound
	if minLeaked > 100 {
		floor := killFloor(t, minLeaked)
		bound += floor
		t.Logf("the kernel alone took %v to end %d processes", floor, minLeaked)
	}
	if d := rep.afterMain(); d > bound {
		t.Errorf("tinit ran %v after its main child exited, want at most %v (grace + kill-after + 1 s, and the kernel's own time for %d processes)", d, bound, minLeaked)
	}
	if len(rep.Leaked) < minLeaked {
		t.Errorf("report names %d leaked processes, want at least %d", len(rep.Leaked), minLeaked)
	}
	for _, l := range rep.Leaked {
		if l.Signal == nil || (*l.Signal != "SIGTERM" && *l.Signal != "SIGKILL") {
			t.Errorf("leaked pid %d %q: signal %v, want SIGTERM or SIGKILL", l.PID, l.Cmdline, l.Signal)
			break
		}
	}
	if !strings.Contains(r.Stderr, "still holding its output") {
		t.Errorf("stderr does not report the holders:\n%.2000s", r.Stderr)
	}
}
