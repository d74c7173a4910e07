package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
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
	// follows it, can exit. It says through a FIFO that it has left the
	// group before the main child exits.
	fifo := filepath.Join(filepath.Dir(trace), "left")
	script := `mkfifo ` + fifo + `; setsid bash -c 'echo > "$1"; exec -a "$0" sleep 4' ` + mark + ` ` + fifo +
		` & read x < ` + fifo + `; echo hi; exit 4`
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

// countLines checks that out is exactly the lines 1..n.
func wantSeq(t *testing.T, out string, n int) {
	t.Helper()
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString(strconv.Itoa(i))
		b.WriteByte('\n')
	}
	if out != b.String() {
		got := strings.Count(out, "\n")
		t.Fatalf("got %d lines, want exactly 1..%d; tail: %q", got, n, out[max(0, len(out)-60):])
	}
}

// TestLeakRelayThroughFifo: `RELAY < fifo & exec > fifo` is a relay in every
// way a `|` one is: the writer that leaks holding the FIFO feeds it, the
// writer alone is ended, and the relay passes on all it was fed. tinit ps
// shows the writer feeding the relay.
func TestLeakRelayThroughFifo(t *testing.T) {
	relay := hostile(t)
	forCoreModes(t, func(t *testing.T, m coreMode) {
		dir := t.TempDir()
		rep := filepath.Join(dir, "report.json")
		script := `mkfifo ` + dir + `/fifo; ` + relay + ` < ` + dir + `/fifo & exec > ` + dir + `/fifo; (seq 400; exec sleep 1000) & exit 0`
		r := runCmd(t, 60*time.Second, withEnv(m.argv(t, "--grace", "200ms", "--kill-after", "10s", "--report", rep,
			"--", "sh", "-c", script), "HOSTILE_MODE=slowrelay"))
		if r.Code != 0 {
			t.Fatalf("exit %d\nstderr:\n%s", r.Code, r.Stderr)
		}
		wantSeq(t, r.Stdout, 400)
		rp := drainReadReport(t, rep)
		var sleepPID, relayPID int
		for _, l := range rp.Leaked {
			switch {
			case strings.Join(l.Cmdline, " ") == "sleep 1000":
				sleepPID = l.PID
				if l.Signal == nil || *l.Signal != "SIGTERM" {
					t.Errorf("the writer got %v, want SIGTERM", l.Signal)
				}
			case l.Cmdline[0] == relay:
				relayPID = l.PID
				if !l.Relay || l.Signal != nil {
					t.Errorf("the FIFO's reader: relay %v, signal %v; want a relay never signalled", l.Relay, l.Signal)
				}
			}
		}
		if sleepPID == 0 || relayPID == 0 {
			t.Fatalf("report lacks the writer or the relay: %+v\nstderr:\n%s", rp.Leaked, r.Stderr)
		}
		if !strings.Contains(r.Stderr, "feeds "+strconv.Itoa(relayPID)) {
			t.Errorf("stderr does not show the writer feeding %d:\n%s", relayPID, r.Stderr)
		}
	})
}

// TestLeakSlowRelayKept: a relay slower than its source is left to finish
// after the source is ended, however long past the grace it delivers: all
// 1500 lines arrive, the relay is never signalled. A relay whose source is
// gone and that then writes nothing is ended once it has been idle for
// --kill-after.
func TestLeakSlowRelayKept(t *testing.T) {
	relay := hostile(t)
	forCoreModes(t, func(t *testing.T, m coreMode) {
		rep := filepath.Join(t.TempDir(), "report.json")
		script := `(seq 1500; exec sleep 1000) | ` + relay + ` & exit 5`
		r := runCmd(t, 60*time.Second, withEnv(m.argv(t, "--grace", "1s", "--kill-after", "10s", "--report", rep,
			"--", "sh", "-c", script), "HOSTILE_MODE=slowrelay"))
		if r.Code != 5 {
			t.Fatalf("exit %d\nstderr:\n%s", r.Code, r.Stderr)
		}
		wantSeq(t, r.Stdout, 1500)
		for _, l := range drainReadReport(t, rep).Leaked {
			if l.Cmdline[0] == relay && (!l.Relay || l.Signal != nil) {
				t.Errorf("the relay: relay %v, signal %v; want a relay never signalled", l.Relay, *l.Signal)
			}
		}

		// The stalled relay: it reads one line, passes it on, and then
		// sleeps holding the pipe its ended source fed.
		rep = filepath.Join(t.TempDir(), "stalled.json")
		script = `(echo a; exec sleep 1000) | (read l; echo "$l"; exec sleep 999) & exit 5`
		r = leakRun(t, m, 60*time.Second, "--grace", "300ms", "--kill-after", "1s", "--report", rep, "--", "sh", "-c", script)
		if r.Code != 5 || r.Stdout != "a\n" {
			t.Fatalf("stalled relay: exit %d, stdout %q\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
		}
		rp := drainReadReport(t, rep)
		// grace, kill-after for the source, kill-after of idleness, 1 s.
		if d := time.Duration(rp.TotalMs-rp.MainMs) * time.Millisecond; d > 300*time.Millisecond+2*time.Second+time.Second {
			t.Errorf("the stalled relay took %v after the main child to end", d)
		}
		if l := rp.leakedBy("sleep 999"); l == nil || l.Signal == nil {
			t.Errorf("the stalled relay was not signalled: %+v", rp.Leaked)
		}
	})
}

// busyCores keeps every core busy for the rest of the test.
func busyCores(t *testing.T) {
	for i := 0; i < runtime.NumCPU(); i++ {
		c := exec.Command("sh", "-c", "while :; do :; done")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Process.Kill(); _ = c.Wait() })
	}
}

// TestLeakLoopAroundRelay: a leaked loop that reads what it forks (`$(...)`,
// or subprocess.run with stdout=PIPE) is a relay that forks new sources, so
// it is a source itself: it ends within grace + kill-after + 1 s, 20 times
// over with every core busy.
func TestLeakLoopAroundRelay(t *testing.T) {
	loops := map[string][]string{
		"sh": {"sh", "-c", `(while :; do x=$(sleep 1); echo tick; done) & echo main; exit 3`},
	}
	if py, err := exec.LookPath("python3"); err == nil {
		loops["python"] = []string{"sh", "-c", `"$0" -c 'import subprocess
while True:
    subprocess.run(["sleep", "1"], stdout=subprocess.PIPE)
    print("tick", flush=True)' & echo main; exit 3`, py}
	} else {
		t.Log("python3 is not installed: the subprocess.run variant is skipped")
	}
	busyCores(t)
	for name, loop := range loops {
		t.Run(name, func(t *testing.T) {
			forCoreModes(t, func(t *testing.T, m coreMode) {
				for i := 0; i < 20; i++ {
					rep := filepath.Join(t.TempDir(), "report.json")
					args := append([]string{"--grace", "300ms", "--kill-after", "300ms", "--report", rep, "--"}, loop...)
					r := leakRun(t, m, 60*time.Second, args...)
					if r.Code != 3 || !strings.HasPrefix(r.Stdout, "main\n") {
						t.Fatalf("run %d: exit %d, stdout %q\nstderr:\n%s", i, r.Code, r.Stdout, r.Stderr)
					}
					rp := drainReadReport(t, rep)
					if d := time.Duration(rp.TotalMs-rp.MainMs) * time.Millisecond; d > 1600*time.Millisecond {
						t.Fatalf("run %d: the loop ended %v after the main child, want at most 1.6 s\nstderr:\n%s", i, d, r.Stderr)
					}
				}
			})
		})
	}
}

// TestLeakSecondStopSignalKills: after the main child exited, a first
// SIGTERM (SIGINT, SIGHUP) to tinit skips the rest of the grace; a second
// one SIGKILLs every holder and descendant at once, as a second Ctrl-C does
// in docker compose. The leak ignores SIGTERM and forks a new holder every
// 20 ms, and --kill-after is a minute: only the second signal can end it
// within seconds.
func TestLeakSecondStopSignalKills(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		t.Run(unixSignalName(sig), func(t *testing.T) {
			forCoreModes(t, func(t *testing.T, m coreMode) {
				script := `(trap "" TERM INT HUP; while :; do sleep 0.02; done) & echo main; exit 3`
				p := startCore(t, m, nil, "-v", "--grace", "300ms", "--kill-after", "60s", "--", "sh", "-c", script)
				waitFor(t, 20*time.Second, "tinit to start ending the leak", func() bool {
					return strings.Contains(p.err.String(), "still holding its output")
				})
				pid := p.tinitPID(t)
				if err := syscall.Kill(pid, sig); err != nil {
					t.Fatal(err)
				}
				// Two separate signals, not one the kernel coalesced.
				waitFor(t, 20*time.Second, "tinit to take the first signal", func() bool {
					return strings.Contains(p.err.String(), "after the main child exited: ending what is left now")
				})
				start := time.Now()
				if err := syscall.Kill(pid, sig); err != nil {
					t.Fatal(err)
				}
				r := p.wait(t, 30*time.Second)
				if r.Code != 3 || r.Stdout != "main\n" {
					t.Fatalf("exit %d, stdout %q\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
				}
				if d := time.Since(start); d > 3*time.Second {
					t.Fatalf("tinit took %v after the second %v to end the leak", d, sig)
				}
			})
		})
	}
}

func unixSignalName(s syscall.Signal) string {
	return map[syscall.Signal]string{syscall.SIGTERM: "TERM", syscall.SIGINT: "INT", syscall.SIGHUP: "HUP"}[s]
}

// mainThreadExits is a C program whose main thread calls pthread_exit while
// another thread sleeps holding the process's fds: /proc shows the process
// as a zombie with an empty fd/, its fds are under task/TID/fd.
const mainThreadExits = `#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
static void *hold(void *arg) { for (;;) pause(); return arg; }
int main(void) {
	pthread_t t;
	if (pthread_create(&t, 0, hold, 0) != 0) return 1;
	printf("holder ready\n");
	fflush(stdout);
	pthread_exit(0);
}
`

// TestLeakMainThreadExited: such a holder is found through its threads,
// shown on stderr and in the report, and ended.
func TestLeakMainThreadExited(t *testing.T) {
	bin := buildC(t, "threadholder", mainThreadExits, "-pthread")
	forCoreModes(t, func(t *testing.T, m coreMode) {
		rep := filepath.Join(t.TempDir(), "report.json")
		r := leakRun(t, m, 60*time.Second, "--grace", "300ms", "--kill-after", "2s", "--report", rep,
			"--", "sh", "-c", bin+" & echo main; exit 3")
		// The shell and its background job write in no fixed order.
		if r.Code != 3 || r.Stdout != "main\nholder ready\n" && r.Stdout != "holder ready\nmain\n" {
			t.Fatalf("exit %d, stdout %q\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
		}
		rp := drainReadReport(t, rep)
		l := rp.leakedBy(bin)
		if l == nil || l.Signal == nil || *l.Signal != "SIGTERM" || len(l.Holds) != 2 || l.State == "Z" {
			t.Fatalf("the holder is not reported as a live process holding stdout and stderr and ended by SIGTERM: %+v\nstderr:\n%s", rp.Leaked, r.Stderr)
		}
		if !strings.Contains(r.Stderr, "threadholder  <- holds stdout (fd 1), holds stderr (fd 2)") {
			t.Errorf("stderr does not show the holder:\n%s", r.Stderr)
		}
		if strings.Contains(r.Stderr, "no process that holds it can be found") {
			t.Errorf("tinit did not find the holder:\n%s", r.Stderr)
		}
		// grace, one round, and the SIGTERM: far less than kill-after.
		if d := time.Duration(rp.TotalMs-rp.MainMs) * time.Millisecond; d > 300*time.Millisecond+time.Second {
			t.Errorf("the holder ended %v after the main child", d)
		}
	})
}

// TestLeakManyFds: 50 leaked holders with 15,000 fds each (on /dev/null),
// which ignore SIGTERM. The first look at their fd tables costs a readlink
// per fd, which the kernel offers no way around; every round after it must
// not grow with fds that are not pipes, so the SIGKILL comes --kill-after
// after the SIGTERM and all end within grace + kill-after + 1 s of the end
// of that first look (which tinit logs with -v).
func TestLeakManyFds(t *testing.T) {
	bin := hostile(t)
	forCoreModes(t, func(t *testing.T, m coreMode) {
		mark := newMark(t)
		rep := filepath.Join(t.TempDir(), "report.json")
		r := runCmd(t, 120*time.Second, withEnv(m.argv(t, "-v", "--grace", "300ms", "--kill-after", "1s", "--report", rep,
			"--", bin), "HOSTILE_MODE=manyfds", "HOSTILE_N=50", "HOSTILE_FDS=15000", "HOSTILE_MARK="+mark, "HOSTILE_IGNORE_TERM=1"))
		if r.Code != 0 || r.Stdout != "started 50\n" {
			t.Fatalf("exit %d, stdout %q\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
		}
		_, after, ok := strings.Cut(r.Stderr, "the first look for holders took ")
		look, err := time.ParseDuration(strings.SplitN(after, "\n", 2)[0])
		if !ok || err != nil {
			t.Fatalf("tinit did not log its first look:\n%s", r.Stderr)
		}
		rp := readReport(t, rep)
		if len(rp.Leaked) != 50 {
			t.Errorf("%d leaked in the report, want 50", len(rp.Leaked))
		}
		for _, l := range rp.Leaked {
			if l.Signal == nil || *l.Signal != "SIGKILL" {
				t.Fatalf("a holder that ignores SIGTERM got %v, want SIGKILL", l.Signal)
			}
		}
		// The kernel's own time to end them, measured beside, counts as
		// in the 2,000-leak tests: tinit cannot close their fds faster.
		floor := killFloorFds(t, bin, 50, 15000)
		t.Logf("first look at 50 x 15,000 fds: %v; all ended %v after the main child; the kernel alone took %v to end them", look, rp.afterMain(), floor)
		if d, bound := rp.afterMain()-look, 300*time.Millisecond+time.Second+time.Second+floor; d > bound {
			t.Fatalf("the leaks ended %v after the first look, want at most %v (grace + kill-after + 1 s, and the kernel's own time)", d, bound)
		}
		if left := marked(mark); len(left) > 0 {
			t.Fatalf("%d holders survived tinit", len(left))
		}
	})
}

// TestLeakForkingRelayKept: a relay that forks processes writing straight
// to the output, not back to it (xargs running echo per line), stays a
// relay: all its lines arrive after its source is ended.
func TestLeakForkingRelayKept(t *testing.T) {
	forCoreModes(t, func(t *testing.T, m coreMode) {
		r := leakRun(t, m, 60*time.Second, "--grace", "200ms", "--kill-after", "10s", "--",
			"sh", "-c", `(seq 600; exec sleep 1000) | xargs -n1 echo & exit 6`)
		if r.Code != 6 {
			t.Fatalf("exit %d\nstderr:\n%s", r.Code, r.Stderr)
		}
		wantSeq(t, r.Stdout, 600)
	})
}

// TestLeakFifoInPs: tinit ps shows the writer into a named FIFO feeding the
// relay that reads it.
func TestLeakFifoInPs(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	script := `mkfifo ` + fifo + `; cat < ` + fifo + ` & exec > ` + fifo + `; (echo x; exec sleep 1000) & exit 0`
	p := startCore(t, coreModes[1], nil, "--grace", "60s", "--", "sh", "-c", script)
	pid := strconv.Itoa(p.tinitPID(t))
	var out string
	waitFor(t, 20*time.Second, "tinit ps to show sleep feeding cat", func() bool {
		r := run(t, 20*time.Second, tinitBin, "ps", pid)
		out = r.Stdout
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, "sleep 1000") && strings.Contains(line, "feeds ") {
				return true
			}
		}
		return false
	})
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "] cat") && !strings.Contains(line, "relay") {
			t.Fatalf("cat is not shown as a relay:\n%s", out)
		}
	}
}
