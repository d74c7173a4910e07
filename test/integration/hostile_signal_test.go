package integration

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// 10,000 SIGUSR1s to tinit while its child writes a numbered line about
// every millisecond, then one SIGUSR2. Standard signals coalesce in the
// kernel (a pending one is not queued twice), in tinit and again in the
// child, so "every one is forwarded or counted" cannot mean 10,000 arrive:
// it means the child sees SIGUSR1 at least once, tinit stays responsive
// (the later, distinct SIGUSR2 still arrives and ends the child normally),
// and not one line of the output is lost. The child is stormWitness, one
// thread that takes its signals lowest number first: a Go child's threads
// could take USR2 before a USR1 that tinit sent first.
const stormWitness = `#include <signal.h>
#include <stdio.h>
#include <time.h>
int main(void) {
	sigset_t s;
	struct timespec ms = {0, 1000000};
	long usr1 = 0, line = 0;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigaddset(&s, SIGUSR2);
	sigprocmask(SIG_BLOCK, &s, 0);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int sig = sigtimedwait(&s, 0, &ms);
		if (sig == SIGUSR2) {
			printf("line %ld\nusr1 %ld\n", line, usr1);
			return 0;
		}
		if (sig == SIGUSR1) {
			usr1++;
			continue;
		}
		printf("line %ld\n", line++);
		fflush(stdout);
	}
}
`

func TestHostileSignalStorm(t *testing.T) {
	witness := buildC(t, "storm", stormWitness)
	for _, mode := range []string{"Subreaper", "Pid1"} {
		t.Run(mode, func(t *testing.T) {
			w := startWitness(t, mode, witness)
			pid, lines := w.pid, w.lines
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
			err := w.cmd.Wait()
			t.Logf("exit %v %v after SIGUSR2", err, time.Since(sent))
			if err != nil || w.stderr.String() != "" {
				t.Fatalf("tinit: %v, stderr %q; want exit 0 and nothing on stderr", err, w.stderr.String())
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

// TestHostileSignalsWhileStderrStalled: with -vv every forwarded signal is
// a log line, and nobody reads tinit's stderr, which the child has filled.
// 600 SIGUSR1s, then one SIGTERM: the SIGTERM still reaches the child while
// stderr is stalled (repeats of one signal may merge, a different one is
// never lost, and the loop never waits for its own log lines). Once stderr
// is read, every byte the child wrote arrives, and tinit's own lines are
// whole lines.
func TestHostileSignalsWhileStderrStalled(t *testing.T) {
	requireTool(t, "bash", "bash")
	forCoreModes(t, func(t *testing.T, m coreMode) {
		dir := t.TempDir()
		log := filepath.Join(dir, "log")
		const size = 3 << 20
		script := `trap 'echo term > "$1"; exit 7' TERM
trap '' USR1
(head -c ` + strconv.Itoa(size) + ` /dev/zero >&2) &
: > "$1.ready"
while :; do sleep 0.05 & wait $!; done`
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		p := startCore(t, m, func(c *exec.Cmd) { c.Stderr = w }, "-vv", "--", "bash", "-c", script, "stalled", log)
		w.Close()
		pid := p.cmd.Process.Pid
		if m.ns {
			pid = childOf(t, pid)
		}
		// Full: what waits in tinit's stderr stops growing. Bytes spliced
		// in whole pages from the child's pipe may leave room that a
		// count of bytes cannot see, so size is no measure.
		last := -1
		waitFor(t, 20*time.Second, "the child to fill tinit's stderr", func() bool {
			time.Sleep(50 * time.Millisecond)
			n, err := unix.IoctlGetInt(int(r.Fd()), unix.TIOCINQ)
			full := err == nil && fileExists(log+".ready") && n >= 256<<10 && n == last
			last = n
			return full
		})
		for range 600 {
			if err := syscall.Kill(pid, syscall.SIGUSR1); err != nil {
				t.Fatal(err)
			}
			time.Sleep(200 * time.Microsecond) // pacing, so the repeats are not merged by the kernel
		}
		if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "SIGTERM to reach the child while tinit's stderr is stalled", func() bool { return fileExists(log) })
		errOut := make(chan []byte, 1)
		go func() { b, _ := io.ReadAll(r); errOut <- b }()
		res := p.wait(t, 60*time.Second)
		b := <-errOut
		if res.Code != 7 || res.Stdout != "" {
			t.Fatalf("code %d stdout %q, want 7 and nothing", res.Code, res.Stdout)
		}
		if n := bytes.Count(b, []byte{0}); n != size {
			t.Fatalf("%d bytes of the child's stderr arrived, want %d", n, size)
		}
		text := strings.TrimSuffix(string(bytes.ReplaceAll(b, []byte{0}, nil)), "\n")
		for _, l := range strings.Split(text, "\n") {
			if !strings.HasPrefix(l, "tinit: ") {
				t.Fatalf("a broken line on stderr: %q", l)
			}
		}
	})
}

// orderWitness prints the name of each SIGUSR1 and SIGUSR2 it gets, in
// the order it takes them, and returns on SIGTERM. It has one thread and
// takes them with sigwaitinfo(2), so two that are pending at once come out
// lowest number first; a Go program's threads (or a shell's traps) may
// hand two on in either order.
const orderWitness = `#include <signal.h>
#include <stdio.h>
int main(void) {
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigaddset(&s, SIGUSR2);
	sigaddset(&s, SIGTERM);
	sigprocmask(SIG_BLOCK, &s, 0);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int sig = sigwaitinfo(&s, 0);
		if (sig == SIGTERM)
			return 0;
		printf("%s\n", sig == SIGUSR1 ? "SIGUSR1" : sig == SIGUSR2 ? "SIGUSR2" : "other");
		fflush(stdout);
	}
}
`

// Two different signals that reach tinit one after the other reach the
// child in that order: SIGUSR1 then SIGUSR2, both to tinit's first thread,
// 1,000 times, each pair read back from the child before the next. tinit
// used to forward USR2 first in 15 to 80 pairs of 1,000: each signal had a
// goroutine of its own that marked it pending, and USR2's could run before
// USR1's.
func TestHostileSignalsKeepTheirOrder(t *testing.T) {
	witness := buildC(t, "order", orderWitness)
	const rounds = 1000
	for _, mode := range []string{"Subreaper", "Pid1"} {
		t.Run(mode, func(t *testing.T) {
			w := startWitness(t, mode, witness)
			pid := w.pid
			next := func() string { return w.next(t) }
			swapped := 0
			for i := 0; i < rounds; i++ {
				// To one thread of tinit's, its first: the kernel hands
				// it USR1 and then USR2, and its handler takes them in
				// that order. Sent to the process, two of its threads
				// could each take one and race.
				if err := unix.Tgkill(pid, pid, unix.SIGUSR1); err != nil {
					t.Fatal(err)
				}
				if err := unix.Tgkill(pid, pid, unix.SIGUSR2); err != nil {
					t.Fatal(err)
				}
				switch a, b := next(), next(); {
				case a == "SIGUSR2" && b == "SIGUSR1":
					swapped++
				case a != "SIGUSR1" || b != "SIGUSR2":
					t.Fatalf("round %d: the child got %q then %q", i, a, b)
				}
			}
			if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			for range w.lines {
			}
			err := w.cmd.Wait()
			t.Logf("USR2 before USR1 in %d of %d rounds", swapped, rounds)
			if swapped > 0 {
				t.Errorf("USR2 reached the child before USR1 in %d of %d rounds", swapped, rounds)
			}
			if err != nil || w.stderr.String() != "" {
				t.Errorf("tinit: %v, stderr %q; want exit 0 and nothing on stderr", err, w.stderr.String())
			}
		})
	}
}

// witnessRun is tinit running a signal witness, as a subreaper or as pid 1
// (mode "Pid1"), in a process group of its own.
type witnessRun struct {
	cmd    *exec.Cmd
	lines  chan string // the child's stdout, line by line, closed at its end
	stderr *strings.Builder
	pid    int // tinit's pid, from here
}

// startWitness starts tinit -- witness and waits for the witness to say
// "ready": its signals are blocked and it takes them from then on.
func startWitness(t *testing.T, mode, witness string) *witnessRun {
	t.Helper()
	argv := []string{tinitBin, "--", witness}
	if mode == "Pid1" {
		argv = nsArgv(t, "--", witness)
	}
	w := &witnessRun{cmd: exec.Command(argv[0], argv[1:]...), lines: make(chan string, 1<<16), stderr: &strings.Builder{}}
	w.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := w.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	w.cmd.Stderr = w.stderr
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-w.cmd.Process.Pid, syscall.SIGKILL) })
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			w.lines <- sc.Text()
		}
		close(w.lines)
	}()
	if l := w.next(t); l != "ready" {
		t.Fatalf("first line %q, want ready", l)
	}
	w.pid = w.cmd.Process.Pid
	if mode == "Pid1" {
		w.pid = childOf(t, w.pid)
	}
	return w
}

// next is the witness's next line, within 10 s.
func (w *witnessRun) next(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-w.lines:
		if !ok {
			t.Fatalf("the output ended early; stderr %q", w.stderr.String())
		}
		return l
	case <-time.After(10 * time.Second):
		t.Fatalf("no line from the child in 10 s")
	}
	return ""
}
