package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// limitRuns is how often each process-limit case runs: before tinit made
// its threads ahead of the child, 16 of 20 runs crashed.
const limitRuns = 12

// forkFill is a test that forks leaked sleeps named mark until fork fails,
// then exits 3 (testdata/limits/forkfill.pl); with loop, each leak keeps
// forking, so the limit stays full.
func forkFill(t *testing.T, mark string, loop bool) []string {
	t.Helper()
	requireTool(t, "perl", "perl-base")
	l := map[bool]string{true: "1", false: "0"}[loop]
	return []string{"perl", filepath.Join(repoRoot, "test/integration/testdata/limits/forkfill.pl"), mark, l}
}

// pidsCgroup makes a pids cgroup allowing max tasks, threads included, as
// podman's --pids-limit does, and returns the command prefix that runs a
// command inside it. Everything left in it is killed when the test ends.
func pidsCgroup(t *testing.T, max int) (prefix []string, dir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a pids cgroup")
	}
	parent := "/sys/fs/cgroup/pids" // cgroup v1
	if _, err := os.Stat(filepath.Join(parent, "cgroup.procs")); err != nil {
		// cgroup v2: the controller must be on for the children of the root.
		parent = "/sys/fs/cgroup"
		_ = os.WriteFile(filepath.Join(parent, "cgroup.subtree_control"), []byte("+pids"), 0)
	}
	dir = filepath.Join(parent, "tinit-test-"+strconv.Itoa(os.Getpid())+"-"+strconv.FormatInt(cgroupSeq.Add(1), 10))
	if err := os.Mkdir(dir, 0o755); err != nil {
		skipOrFail(t, "cannot make a pids cgroup: "+err.Error())
	}
	t.Cleanup(func() {
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			procs := strings.Fields(readString(filepath.Join(dir, "cgroup.procs")))
			for _, p := range procs {
				n, _ := strconv.Atoi(p)
				_ = syscall.Kill(n, syscall.SIGKILL)
			}
			if os.Remove(dir) == nil {
				return
			}
		}
	})
	if err := os.WriteFile(filepath.Join(dir, "pids.max"), []byte(strconv.Itoa(max)), 0); err != nil {
		t.Fatal(err)
	}
	return []string{"sh", "-c", `echo $$ > "$0/cgroup.procs" && exec "$@"`, dir}, dir
}

var cgroupSeq atomic.Int64

// checkLimitRun wants the child's status 3, its line, a report of the
// leaks and no sign of a crash of the Go runtime.
func checkLimitRun(t *testing.T, i int, r result, mark string) {
	t.Helper()
	if r.Code != 3 || r.Stdout != "main\n" || strings.Contains(r.Stderr, "runtime:") ||
		strings.Contains(r.Stderr, "fatal error") || strings.Contains(r.Stderr, "goroutine ") ||
		!strings.Contains(r.Stderr, "still holding its output") {
		t.Fatalf("run %d: code %d stdout %q, want 3 and \"main\\n\"\nstderr:\n%s", i, r.Code, r.Stdout, r.Stderr)
	}
	if left := marked(mark); len(left) > 0 {
		t.Fatalf("run %d: leaked sleeps %v survived tinit", i, left)
	}
}

// TestHostilePidsLimit: a test that starts plain sleeps until the pids
// cgroup's limit of 40 is reached (podman's --pids-limit 40), and fork
// loops that keep a limit of 60 full. The
// threads tinit needs are made before the child starts, so it never has
// to create one once the limit is reached: it exits with the child's
// status and ends every leak.
func TestHostilePidsLimit(t *testing.T) {
	for _, c := range []struct {
		name string
		max  int
		loop bool
	}{{"SleepsIn40", 40, false}, {"ForkLoopsIn60", 60, true}} {
		t.Run(c.name, func(t *testing.T) {
			forCoreModes(t, func(t *testing.T, m coreMode) {
				for i := range limitRuns {
					mark := newMark(t)
					prefix, dir := pidsCgroup(t, c.max)
					test := forkFill(t, mark, c.loop)
					argv := append(prefix, m.argv(t, append([]string{"--grace", "200ms", "--kill-after", "200ms", "--"}, test...)...)...)
					r := runCmd(t, 30*time.Second, exec.Command(argv[0], argv[1:]...))
					checkLimitRun(t, i, r, mark)
					if procs := strings.Fields(readString(filepath.Join(dir, "cgroup.procs"))); len(procs) > 0 {
						t.Fatalf("run %d: processes %v are left in the cgroup", i, procs)
					}
				}
			})
		})
	}
}

// TestHostileNprocLimit: an unprivileged user with RLIMIT_NPROC 40 (which
// counts threads too) runs a test that forks until fork fails. Each run has
// a user id of its own, so nothing else on the machine counts against it.
func TestHostileNprocLimit(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run as a fresh user id")
	}
	requireTool(t, "setpriv", "util-linux")
	requireTool(t, "prlimit", "util-linux")
	bin := worldTinit(t)
	for _, ns := range []bool{true, false} {
		name := map[bool]string{true: "pid1", false: "subreaper"}[ns]
		t.Run(name, func(t *testing.T) {
			for i := range limitRuns {
				mark := newMark(t)
				uid := strconv.Itoa(300000 + os.Getpid()%4096*limitRuns + i) // above the ranges of /etc/subuid
				argv := []string{"setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups", "prlimit", "--nproc=40"}
				if ns {
					argv = append(argv, "unshare", "--user", "--map-root-user", "--pid", "--fork", "--mount-proc")
				}
				argv = append(argv, bin, "--grace", "200ms", "--kill-after", "200ms", "--")
				argv = append(argv, forkFill(t, mark, true)...)
				r := runCmd(t, 30*time.Second, exec.Command(argv[0], argv[1:]...))
				checkLimitRun(t, i, r, mark)
				if left := uidProcs(uid); len(left) > 0 {
					t.Fatalf("run %d: processes of uid %s survived: %v", i, uid, left)
				}
			}
		})
	}
}

// uidProcs lists the live processes whose real uid is uid.
func uidProcs(uid string) []string {
	var left []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		for _, line := range strings.Split(readString("/proc/"+e.Name()+"/status"), "\n") {
			if f := strings.Fields(strings.TrimPrefix(line, "Uid:")); strings.HasPrefix(line, "Uid:") && len(f) > 0 && f[0] == uid {
				if st, err := readStat(mustAtoi(e.Name())); err == nil && st.state != "Z" {
					left = append(left, fmt.Sprintf("%s(%s)", e.Name(), strings.TrimSpace(readString("/proc/"+e.Name()+"/comm"))))
				}
			}
		}
	}
	return left
}

func mustAtoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
