package integration

import (
	"path/filepath"
	"testing"
	"time"
)

// TestLeakBystanderInBound: a leak that holds none of the output, beside
// one that does, both ignoring SIGTERM, ends within grace + kill-after +
// 1 s: it gets its SIGTERM when the grace ends, as the holder does, not
// once the holder is gone, which would make the bound grace + 2 x
// kill-after.
func TestLeakBystanderInBound(t *testing.T) {
	const grace, killAfter = 300 * time.Millisecond, 2 * time.Second
	forCoreModes(t, func(t *testing.T, m coreMode) {
		rep := filepath.Join(t.TempDir(), "report.json")
		script := `(trap "" TERM; exec sleep 1000) & (trap "" TERM; exec sleep 999) >/dev/null 2>&1 & echo main; exit 3`
		r := leakRun(t, m, 30*time.Second, "--grace", grace.String(), "--kill-after", killAfter.String(),
			"--report", rep, "--", "sh", "-c", script)
		if r.Code != 3 || r.Stdout != "main\n" {
			t.Fatalf("exit %d, stdout %q, want 3 and main\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
		}
		if d, bound := readReport(t, rep).afterMain(), grace+killAfter+time.Second; d > bound {
			t.Errorf("tinit ran %v after its main child exited, want at most %v\nstderr:\n%s", d, bound, r.Stderr)
		}
	})
}

// TestLeakBelowSourceInBound: a TERM-ignoring process below a holder that
// is a source, not a relay, gets its SIGTERM when the grace ends, as a
// bystander does, so the bound grace + kill-after + 1 s holds for it too,
// not grace + 2 x kill-after. Only what a relay forks may wait for its
// relay.
func TestLeakBelowSourceInBound(t *testing.T) {
	const grace, killAfter = time.Second, 4 * time.Second
	forCoreModes(t, func(t *testing.T, m coreMode) {
		rep := filepath.Join(t.TempDir(), "report.json")
		script := `trap "" TERM; sh -c "sleep 1000 >/dev/null 2>&1 & while :; do sleep 1; done" & echo main; exit 3`
		r := leakRun(t, m, 30*time.Second, "--grace", grace.String(), "--kill-after", killAfter.String(),
			"--report", rep, "--", "sh", "-c", script)
		if r.Code != 3 || r.Stdout != "main\n" {
			t.Fatalf("exit %d, stdout %q, want 3 and main\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
		}
		if d, bound := readReport(t, rep).afterMain(), grace+killAfter+time.Second; d > bound {
			t.Errorf("tinit ran %v after its main child exited, want at most %v\nstderr:\n%s", d, bound, r.Stderr)
		}
	})
}
