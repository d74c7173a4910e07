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

// TestLeakNoProcGroupGoneOnce: without /proc, a subreaper can only signal
// the main child's process group. Once kill(-pgid) says ESRCH the group is
// empty for good, and its number may next name an unrelated group on the
// host: tinit must not signal it again. strace counts the calls.
func TestLeakNoProcGroupGoneOnce(t *testing.T) {
	requireTool(t, "strace", "strace")
	trace := filepath.Join(t.TempDir(), "trace")
	mark := newMark(t)
	prefix := []string{"strace", "-f", "-qq", "-e", "trace=kill", "-o", trace, "unshare", "--mount"}
	if os.Geteuid() != 0 {
		t.Skip("strace of a user namespace's unshare needs root here")
	}
	// The leak that left the group ends by itself, so that strace, which
	// follows it, can exit.
	script := `setsid bash -c 'exec -a "$0" sleep 4' ` + mark + ` & echo hi; exit 4`
	r := run(t, 60*time.Second, append(prefix, "sh", "-c", `umount -l /proc && exec "$@"`, "sh", tinitBin,
		"--grace", "200ms", "--kill-after", "500ms", "--", "sh", "-c", script)...)
	if r.Code != 4 || r.Stdout != "hi\n" {
		t.Fatalf("exit %d, stdout %q\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	}
	b, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	var gone []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, "kill(-") && strings.Contains(line, "ESRCH") {
			gone = append(gone, line)
		}
	}
	if len(gone) != 1 {
		t.Fatalf("kill(-pgid) failed with ESRCH %d times, want exactly once:\n%s", len(gone), strings.Join(gone, "\n"))
	}
}
