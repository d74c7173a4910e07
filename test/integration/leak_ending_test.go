package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// leakRun runs tinit with args in mode m and waits at most timeout.
func leakRun(t *testing.T, m coreMode, timeout time.Duration, args ...string) result {
	t.Helper()
	return run(t, timeout, m.argv(t, args...)...)
}

// TestLeakContOnlyStopped: SIGCONT goes only to a holder that is stopped.
// The leak ignores SIGTERM and records every SIGCONT it gets; it runs (it
// is never stopped), so it must get none before its SIGKILL. It forks a
// sleep every 20 ms: those forks are counted on stderr at most once a
// second, not once a round.
func TestLeakContOnlyStopped(t *testing.T) {
	forCoreModes(t, func(t *testing.T, m coreMode) {
		dir := t.TempDir()
		conts := filepath.Join(dir, "conts")
		script := `(trap "" TERM; trap "echo cont >>` + conts + `" CONT; while :; do sleep 0.02; done) & echo main; exit 3`
		r := leakRun(t, m, 30*time.Second, "--grace", "300ms", "--kill-after", "3s", "--", "sh", "-c", script)
		if r.Code != 3 || r.Stdout != "main\n" {
			t.Fatalf("exit %d, stdout %q, want 3 and main\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
		}
		if b, err := os.ReadFile(conts); err == nil {
			t.Errorf("a running holder got SIGCONT %d times:\n%s", strings.Count(string(b), "\n"), r.Stderr)
		}
		forkLines := strings.Count(r.Stderr, "forked by those")
		// 3 s of kill-after: the first line, then at most one a second,
		// and one for what is left.
		if forkLines < 1 || forkLines > 5 {
			t.Errorf("%d lines about forks, want 1 to 5:\n%s", forkLines, r.Stderr)
		}
	})
}
