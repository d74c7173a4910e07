package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The bound for what tinit cannot end: what is still there half a second
// after its SIGKILL (the reap allowance) is given up on, so tinit still
// exits within grace + kill-after + 1 s. These are the arguments the tests
// below run tinit with.
const stuckGrace, stuckKillAfter = 300 * time.Millisecond, time.Second

// stuckRun starts tinit in mode m on script with the stuck tests' grace and
// kill-after and a report, and waits for the report: as pid 1 tinit's exit
// may then still wait for the kernel to tear the namespace down, which the
// process it gave up on holds up. It returns the report and the running
// tinit.
func stuckRun(t *testing.T, m coreMode, prep func(*exec.Cmd), script string) (report, *coreProc, string) {
	t.Helper()
	p, rep := stuckStart(t, m, prep, script)
	return stuckReport(t, rep), p, rep
}

func stuckStart(t *testing.T, m coreMode, prep func(*exec.Cmd), script string) (*coreProc, string) {
	t.Helper()
	rep := filepath.Join(openDir(t), "report.json")
	return startCore(t, m, prep, "--grace", stuckGrace.String(), "--kill-after", stuckKillAfter.String(),
		"--report", rep, "--", "sh", "-c", script), rep
}

func stuckReport(t *testing.T, rep string) report {
	t.Helper()
	waitFor(t, 20*time.Second, "tinit's report", func() bool { return fileExists(rep) })
	return readReport(t, rep) // renamed into place whole
}

// openDir is a directory every user may use, removed when the test ends:
// t.TempDir's parent is open to its owner only.
func openDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "tinit-open-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	return dir
}

// checkStuck checks tinit's exit and its time after the main child, and
// that stderr names the process given up on and why.
func checkStuck(t *testing.T, rep report, r result, why string) {
	t.Helper()
	if r.Code != 3 || r.Stdout != "main\n" {
		t.Errorf("exit %d, stdout %q, want 3 and main\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	}
	if d, bound := rep.afterMain(), stuckGrace+stuckKillAfter+time.Second; d > bound {
		t.Errorf("tinit ran %v after its main child exited, want at most %v\nstderr:\n%s", d, bound, r.Stderr)
	}
	// What a stuck process forks meanwhile is named too.
	head := regexp.MustCompile(`(?m)^tinit: (1 process|\d+ processes) will not die or cannot be reaped; exiting without (it|them):$`)
	line := regexp.MustCompile(`(?m)^tinit:   \d+ \[[a-z]+\] .*  <- ` + regexp.QuoteMeta(why) + `$`)
	if !head.MatchString(r.Stderr) || !line.MatchString(r.Stderr) {
		t.Errorf("stderr does not name the process and say %q:\n%s", why, r.Stderr)
	}
}

// freezerGroup makes a cgroup v1 freezer group, thawed and removed when
// the test ends. A frozen process is in state D: SIGTERM and SIGKILL stay
// pending, as under a hung NFS or FUSE mount. (cgroup v2's cgroup.freeze
// lets SIGKILL through, so it cannot make this case.)
func freezerGroup(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a freezer cgroup")
	}
	root := "/sys/fs/cgroup/freezer"
	if _, err := os.Stat(filepath.Join(root, "freezer.state")); err != nil {
		if _, err := os.Stat(filepath.Join(root, "cgroup.procs")); err != nil {
			skipOrFail(t, "no cgroup v1 freezer at "+root)
		}
	}
	cg := filepath.Join(root, "tinit-"+strings.TrimPrefix(newMark(t), "hostile-"))
	if err := os.Mkdir(cg, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = os.WriteFile(filepath.Join(cg, "freezer.state"), []byte("THAWED"), 0)
		for i := 0; i < 200 && os.Remove(cg) != nil; i++ {
			time.Sleep(10 * time.Millisecond)
		}
	})
	return cg
}

// TestLeakStuckStateD: a holder in a frozen cgroup (state D) cannot be
// ended; half a second after its SIGKILL tinit stops waiting for it, names
// it ("state D"), and exits with the child's status within grace +
// kill-after + 1 s. As pid 1, tinit's exit then waits in the kernel for the
// namespace's teardown, which the frozen process holds up until it is
// thawed.
func TestLeakStuckStateD(t *testing.T) {
	forCoreModes(t, func(t *testing.T, m coreMode) {
		cg := freezerGroup(t)
		script := `sleep 1000 & echo $! > ` + cg + `/cgroup.procs && echo FROZEN > ` + cg + `/freezer.state && echo main; exit 3`
		rep, p, _ := stuckRun(t, m, nil, script)
		if m.ns {
			// tinit has written its report and is exiting: the
			// namespace's teardown waits for the frozen sleep.
			time.Sleep(500 * time.Millisecond)
			select {
			case <-p.done:
				t.Fatal("as pid 1 tinit's exit did not wait for the frozen process")
			default:
			}
			thawed := time.Now()
			_ = os.WriteFile(filepath.Join(cg, "freezer.state"), []byte("THAWED"), 0)
			r := p.wait(t, 10*time.Second)
			t.Logf("pid 1's exit took %v after the thaw", time.Since(thawed))
			checkStuck(t, rep, r, "state D (uninterruptible sleep): its SIGKILL waits until it wakes")
			return
		}
		r := p.wait(t, 10*time.Second)
		checkStuck(t, rep, r, "state D (uninterruptible sleep): its SIGKILL waits until it wakes")
		if !strings.Contains(r.Stderr, "[uninterruptible] sleep 1000  <- holds stdout (fd 1)") {
			t.Errorf("the leak report does not draw the sleep as uninterruptible:\n%s", r.Stderr)
		}
	})
}

// TestLeakStuckNotPermitted: tinit runs unprivileged (as nobody, a plain
// subreaper) and the test leaks a process that became root, as `sudo
// daemon &` leaves: kill(2) says EPERM. tinit cannot see its fds either;
// it stops waiting for the output it holds, and, half a second after the
// SIGKILL it may not send, names it ("not permitted") and exits with the
// child's status. Everything the process wrote while tinit ran arrives.
func TestLeakStuckNotPermitted(t *testing.T) {
	dir, rootpriv := setuidSetpriv(t)
	mark := newMark(t)
	wrote := filepath.Join(dir, "wrote")
	leak := `trap "" PIPE; i=0; while echo $i 2>/dev/null; do i=$((i+1)); sleep 0.01; done; echo $i > ` + wrote
	script := sh(rootpriv, "--reuid=0", "--regid=0", "--clear-groups", "bash", "-c", `exec -a "$0" bash -c "$1"`, mark, leak) +
		` >&2 & echo main; exit 3`
	rep, p, _ := stuckRun(t, coreMode{"nobody", false}, asNobody, script)
	r := p.wait(t, 10*time.Second)
	checkStuck(t, rep, r, "not permitted to signal it")
	// The leak learns tinit is gone at its next write, and says how many
	// lines it wrote: every one of them is on tinit's stderr.
	waitFor(t, 10*time.Second, "the leak's count", func() bool { return fileExists(wrote) && readString(wrote) != "" })
	n, _ := strconv.Atoi(strings.TrimSpace(readString(wrote)))
	var want strings.Builder
	for i := range n {
		want.WriteString(strconv.Itoa(i) + "\n")
	}
	got := regexp.MustCompile(`(?m)^tinit: .*\n`).ReplaceAllString(r.Stderr, "")
	if n == 0 || got != want.String() {
		t.Errorf("the leak wrote %d lines; stderr without tinit's lines has %d:\n%s", n, strings.Count(got, "\n"), r.Stderr)
	}
}

// setuidSetpriv is an open directory holding a setuid-root copy of
// setpriv, with which a test run by nobody becomes root, as `sudo` would
// make it.
func setuidSetpriv(t *testing.T) (dir, rootpriv string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to run tinit as nobody and make a setuid copy")
	}
	requireTool(t, "setpriv", "util-linux")
	dir = openDir(t)
	rootpriv = filepath.Join(dir, "rootpriv")
	b, err := os.ReadFile("/usr/bin/setpriv")
	if err != nil {
		t.Skip("no /usr/bin/setpriv to copy")
	}
	if err := os.WriteFile(rootpriv, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(rootpriv, 0o755|os.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	return dir, rootpriv
}

// asNobody makes c run tinit as nobody, a plain subreaper.
func asNobody(c *exec.Cmd) {
	c.Args = append([]string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}, c.Args...)
	c.Path, _ = exec.LookPath("setpriv")
}

// TestLeakStuckTraced: a leaked holder held by a debugger (ptrace attach,
// as `gdb -p PID` does) dies of its SIGKILL but stays a zombie that only
// its tracer may reap first. Half a second after the SIGKILL tinit gives
// up on it, names it and its tracer, and exits with the child's status. As
// pid 1 the tracer is outside the namespace and /proc shows no tracer pid;
// tinit's exit then waits for the tracer to let go.
func TestLeakStuckTraced(t *testing.T) {
	py := requireTool(t, "python3", "python3")
	if os.Geteuid() != 0 {
		t.Skip("needs root to ptrace a process of another tree")
	}
	forCoreModes(t, func(t *testing.T, m coreMode) {
		dir := t.TempDir()
		mark := newMark(t)
		goFile, attached := filepath.Join(dir, "go"), filepath.Join(dir, "attached")
		script := `bash -c 'exec -a "$0" sleep 1000' ` + mark + ` & until [ -e ` + goFile + ` ]; do sleep 0.01; done; echo main; exit 3`
		p, repPath := stuckStart(t, m, nil, script)
		var pid int
		waitFor(t, 10*time.Second, "the leak", func() bool {
			ps := marked(mark)
			if len(ps) == 1 {
				pid = ps[0]
			}
			return pid != 0
		})
		tracer := exec.Command(py, "-c", `
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
if libc.ptrace(16, int(sys.argv[1]), None, None) != 0:
    sys.exit("attach: " + os.strerror(ctypes.get_errno()))
open(sys.argv[2], "w").close()
time.sleep(1000)
`, strconv.Itoa(pid), attached)
		tracer.Stderr = os.Stderr
		if err := tracer.Start(); err != nil {
			t.Fatal(err)
		}
		tracerDone := make(chan struct{})
		go func() { _ = tracer.Wait(); close(tracerDone) }()
		t.Cleanup(func() { _ = tracer.Process.Kill(); <-tracerDone })
		waitFor(t, 10*time.Second, "the tracer's attach", func() bool { return fileExists(attached) })
		if err := os.WriteFile(goFile, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		rep := stuckReport(t, repPath)
		why := "a zombie traced by PID " + strconv.Itoa(tracer.Process.Pid) + ", which must reap it first"
		if m.ns {
			why = "a zombie not yet reapable: traced from outside this pid namespace, or its parent has not reaped it"
			time.Sleep(500 * time.Millisecond)
			select {
			case <-p.done:
				t.Fatal("as pid 1 tinit's exit did not wait for the traced zombie")
			default:
			}
			let := time.Now()
			_ = tracer.Process.Kill()
			r := p.wait(t, 10*time.Second)
			t.Logf("pid 1's exit took %v after the tracer was killed", time.Since(let))
			checkStuck(t, rep, r, why)
			return
		}
		r := p.wait(t, 10*time.Second)
		checkStuck(t, rep, r, why)
	})
}
