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
// hands it at once) every slowPace, 16 MB/s at most: slower than a writer
// that never stops, so the pipe is never empty, and slow enough that a
// tinit that never exits fills the test's memory slowly. It notes when it
// took each read: a loaded machine slows the reader, and the test must
// tell the reader's time from tinit's.
type slowWriter struct {
	w     io.Writer
	reads []pacedRead
}

type pacedRead struct {
	at time.Time
	n  int
}

const slowPace = 2 * time.Millisecond

func (s *slowWriter) Write(b []byte) (int, error) {
	time.Sleep(slowPace)
	s.reads = append(s.reads, pacedRead{time.Now(), len(b)})
	return s.w.Write(b)
}

// lastTook is how long the reader took for the last n bytes it read, from
// the read before them to the last; or for all it read, if that is less.
func (s *slowWriter) lastTook(n int) time.Duration {
	if len(s.reads) == 0 {
		return 0
	}
	last, got := s.reads[len(s.reads)-1].at, 0
	for i := len(s.reads) - 1; i > 0; i-- {
		if got += s.reads[i].n; got >= n {
			return last.Sub(s.reads[i-1].at)
		}
	}
	return last.Sub(s.reads[0].at)
}

// TestLeakStuckWriterNeverStops: tinit runs unprivileged and the test
// leaks a root process (kill(2) says EPERM) that writes without end,
// faster than tinit's stderr is read. tinit can neither end it nor wait
// for its pipe to empty. It gives up on it within grace + kill-after + 1 s
// of the main child's exit, as on any process it cannot end, delivers
// what its pipe held when it exits, and exits with the child's status.
// Every line that arrives is whole but perhaps the last, which the kernel
// cut.
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
	reader := &slowWriter{}
	rep, p, _ := stuckRun(t, coreMode{"nobody", false}, func(c *exec.Cmd) {
		asNobody(c)
		reader.w = c.Stderr
		c.Stderr = reader
	}, script)
	// A tinit that waits for the pipe to empty never exits.
	r := p.wait(t, 10*time.Second)
	if r.Code != 3 || r.Stdout != "main\n" {
		t.Errorf("exit %d, stdout %q, want 3 and main", r.Code, r.Stdout)
	}
	giveUp := time.Duration(rep.DrainMs) * time.Millisecond
	if bound := stuckGrace + stuckKillAfter + time.Second; giveUp > bound {
		t.Errorf("tinit gave up on the leak %v after its main child exited, want at most %v", giveUp, bound)
	}
	// After giving up, one round of ending the rest finds only the leak
	// left, and the next exits: 2 rounds of 50 ms and a scan, given room
	// for a loaded machine. Exiting, tinit moves what its pipe holds then,
	// at most 1 MiB, into its output pipe, which the leak keeps full
	// (tinit grows it to 1 MiB): tinit is done once the reader has made
	// room for that 1 MiB. Those reads are within the last 2 MiB the
	// reader takes, the last 1 MiB being what the output pipe still holds
	// when tinit is done, and the test measures how long the reader took
	// for them: on a loaded machine the reader, not tinit, sets the pace
	// (1 MiB in 70 to 500 ms, beside 4 busy loops, with the output pipe
	// never empty).
	const exitRounds, held = 500 * time.Millisecond, 2 << 20
	took := reader.lastTook(held)
	if d, bound := rep.afterMain()-giveUp, exitRounds+took; d > bound {
		t.Errorf("tinit ran %v after giving up on the leak, want at most %v: %v for the reader's last 2 MiB, and %v",
			d, bound, took, exitRounds)
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
