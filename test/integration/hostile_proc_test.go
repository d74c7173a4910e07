package integration

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

const noProcMsg = "cannot see which processes hold the output"

// canary is a process outside tinit's namespace that tinit must never
// signal: its pids are not tinit's to judge.
func canary(t *testing.T) *exec.Cmd {
	t.Helper()
	c := exec.Command("sleep", "1000")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Process.Kill(); _ = c.Wait() })
	return c
}

func checkCanary(t *testing.T, c *exec.Cmd) {
	t.Helper()
	var ws syscall.WaitStatus
	pid, err := syscall.Wait4(c.Process.Pid, &ws, syscall.WNOHANG, nil)
	if err != nil || pid != 0 {
		t.Fatalf("the canary outside the namespace did not survive tinit (%v, %v)", err, ws)
	}
}

// Why tinit cannot use /proc, as it says it.
const (
	procNotMounted = "(/proc is not mounted)"
	procOfAnother  = "(/proc shows another pid namespace)"
)

// checkNoProc wants the leak ended within the bound, the child's status,
// and the blindness said exactly once, with its reason.
func checkNoProc(t *testing.T, r result, bound time.Duration, why string) {
	t.Helper()
	if r.Code != 4 || r.Stdout != "hi\n" {
		t.Fatalf("got code %d stdout %q, want 4 and %q\nstderr: %s", r.Code, r.Stdout, "hi\n", r.Stderr)
	}
	if n := strings.Count(r.Stderr, noProcMsg+" "+why); n != 1 {
		t.Fatalf("stderr says %q %d times, want once:\n%s", noProcMsg+" "+why, n, r.Stderr)
	}
	if r.Elapsed > bound {
		t.Fatalf("tinit took %v, want at most %v", r.Elapsed, bound)
	}
}

const leakHi = "sleep 1000 & echo hi; exit 4"

// `unshare --pid --fork` without --mount-proc leaves the host's /proc,
// where tinit's pids name other processes. tinit must not act on what it
// sees there; as pid 1, kill(-1) reaches only its own namespace, which is
// how it still ends the leaked sleep.
func TestHostileProcOfAnotherNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: without a new mount namespace /proc stays the host's")
	}
	c := canary(t)
	r := run(t, 30*time.Second, "unshare", "--pid", "--fork", tinitBin, "--grace", hostileGrace.String(),
		"--kill-after", hostileKillAfter.String(), "--", "sh", "-c", leakHi)
	checkNoProc(t, r, 10*time.Second, procOfAnother)
	checkCanary(t, c)
}

// /proc not mounted at all, tinit as pid 1: the same.
func TestHostileProcNotMountedPid1(t *testing.T) {
	c := canary(t)
	prefix := []string{"unshare", "--pid", "--fork", "--mount"}
	if os.Geteuid() != 0 {
		prefix = append([]string{"unshare", "--user", "--map-root-user"}, prefix[1:]...)
	}
	r := run(t, 30*time.Second, append(prefix, "sh", "-c", `umount -l /proc && exec "$@"`, "sh", tinitBin,
		"--grace", hostileGrace.String(), "--kill-after", hostileKillAfter.String(), "--", "sh", "-c", leakHi)...)
	checkNoProc(t, r, 10*time.Second, procNotMounted)
	checkCanary(t, c)
}

// /proc not mounted, tinit a subreaper: it can name only the main child's
// process group, which ends the plain leak; a leaker that left the group
// (setsid) is out of its reach, and tinit must not hang on it but stop
// waiting once the group has had its SIGKILL, saying so: within the bound
// every leak is ended in, grace + kill-after + 1 s. That leaker survives
// tinit: nothing tinit can do without /proc would find it.
func TestHostileProcNotMountedSubreaper(t *testing.T) {
	c := canary(t)
	mark := newMark(t)
	// A kill-after of 1 s tells one kill-after after the group's
	// SIGKILL (3.3 s) from none (2.3 s at most).
	const killAfter = time.Second
	bound := hostileGrace + killAfter + time.Second
	// With -v tinit says how its output ended: at end of file, or given
	// up on, which is not an end of file.
	const eof, givenUp = "tinit: output complete: both pipes reached end of file\n",
		"tinit: output complete: not waiting for end of file any longer, but the pipes are still open and read until tinit exits\n"
	for _, tc := range []struct{ name, script, says, ended, notEnded string }{
		{"ProcessGroup", leakHi, "", eof, givenUp},
		{"Setsid", `setsid bash -c 'exec -a "$0" sleep 1000' ` + mark + ` & echo hi; exit 4`, "cannot name them", givenUp, eof},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := []string{"unshare", "--mount"}
			if os.Geteuid() != 0 {
				prefix = []string{"unshare", "--user", "--map-root-user", "--mount"}
			}
			r := run(t, 30*time.Second, append(prefix, "sh", "-c", `umount -l /proc && exec "$@"`, "sh", tinitBin,
				"-v", "--grace", hostileGrace.String(), "--kill-after", killAfter.String(), "--", "sh", "-c", tc.script)...)
			checkNoProc(t, r, bound, procNotMounted)
			checkCanary(t, c)
			if tc.says != "" && !strings.Contains(r.Stderr, tc.says) {
				t.Fatalf("stderr does not say %q:\n%s", tc.says, r.Stderr)
			}
			if !strings.Contains(r.Stderr, tc.ended) || strings.Contains(r.Stderr, tc.notEnded) {
				t.Fatalf("stderr does not say %q, or says %q:\n%s", tc.ended, tc.notEnded, r.Stderr)
			}
		})
	}
}
