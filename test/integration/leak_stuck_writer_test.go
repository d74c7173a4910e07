package integration

import (
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// slowWriter reads tinit's stderr at most 32 KiB (what exec.Cmd's copy
// hands it at once) every slowPace, 16 MB/s: slower than a writer that
// never stops, so the pipe is never empty, and slow enough that a tinit
// that never exits fills the test's memory slowly.
type slowWriter struct{ w io.Writer }

const slowPace = 2 * time.Millisecond

func (s slowWriter) Write(b []byte) (int, error) {
	time.Sleep(slowPace)
	return s.w.Write(b)
}

// TestLeakStuckWriterNeverStops: tinit runs unprivileged and the test
// leaks a root process (kill(2) says EPERM) that writes without end,
// faster than tinit's stderr is read. tinit can neither end it nor wait
// for its pipe to empty. It gives up on it as on any process it cannot
// end, delivers what was in the pipe when it did, and exits with the
// child's status within grace + kill-after + 1 s of the main child's exit,
// plus the time that delivery takes at the reader's pace. Every line that
// arrives is whole but perhaps the last, which the kernel cut.
func TestLeakStuckWriterNeverStops(t *testing.T) {
	_, rootpriv := setuidSetpriv(t)
	mark := newMark(t)
	t.Cleanup(func() {
		for _, pid := range marked(mark) {
			_ = exec.Command("kill", "-9", strconv.Itoa(pid)).Run()
		}
	})
	script := sh(rootpriv, "--reuid=0", "--regid=0", "--clear-groups", "bash", "-c", `exec -a "$0" yes leakline`, mark) +
		` >&2 & echo main; exit 3`
	rep, p, _ := stuckRun(t, coreMode{"nobody", false}, func(c *exec.Cmd) {
		asNobody(c)
		c.Stderr = slowWriter{c.Stderr}
	}, script)
	// A tinit that waits for the pipe to empty never exits.
	r := p.wait(t, 10*time.Second)
	if r.Code != 3 || r.Stdout != "main\n" {
		t.Errorf("exit %d, stdout %q, want 3 and main", r.Code, r.Stdout)
	}
	// After giving up tinit delivers what its pipe held, at most 1 MiB,
	// into its stderr pipe, which is full: the reader takes that 1 MiB in
	// 32 writes at its pace, which tinit's exit waits for.
	if d, bound := rep.afterMain(), stuckGrace+stuckKillAfter+time.Second+32*slowPace; d > bound {
		t.Errorf("tinit ran %v after its main child exited, want at most %v", d, bound)
	}
	// tinit's own lines may cut into the leak's: its stderr is no pipe
	// shared with its stdout, so nothing goes by whole lines there.
	own := regexp.MustCompile(`tinit: [^\n]*\n`)
	if !strings.Contains(r.Stderr, "not permitted to signal it") {
		t.Errorf("stderr does not say why tinit gave up:\n%s", own.FindAllString(r.Stderr, -1))
	}
	got := own.ReplaceAllString(r.Stderr, "")
	lines := strings.Split(got, "\n")
	for i, l := range lines {
		if l != "leakline" && !(i == len(lines)-1 && strings.HasPrefix("leakline", l)) {
			t.Fatalf("line %d of the leak's output is %q", i, l)
		}
	}
}
