package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// forwardedSignals are 1-31 without SIGKILL, SIGSTOP and SIGCHLD, by
// number: the fault signals (ILL TRAP ABRT BUS FPE SEGV SYS) too, since
// one sent with kill(2) is not a fault of tinit's.
var forwardedSignals = []struct {
	name string
	sig  syscall.Signal
}{
	{"HUP", 1}, {"INT", 2}, {"QUIT", 3}, {"ILL", 4}, {"TRAP", 5}, {"ABRT", 6}, {"BUS", 7}, {"FPE", 8},
	{"USR1", 10}, {"SEGV", 11}, {"USR2", 12}, {"PIPE", 13}, {"ALRM", 14},
	{"TERM", 15}, {"STKFLT", 16}, {"CONT", 18}, {"TSTP", 20}, {"TTIN", 21}, {"TTOU", 22}, {"URG", 23},
	{"XCPU", 24}, {"XFSZ", 25}, {"VTALRM", 26}, {"PROF", 27}, {"WINCH", 28}, {"IO", 29}, {"PWR", 30}, {"SYS", 31},
}

// notDeliverable is the one signal of that set that cannot be forwarded: the
// Go runtime takes SIGPROF for its profiler and never hands it to os/signal.
// It must not kill tinit or the child either.
const notDeliverable = "PROF"

// trapScript traps every name given after the log file and the directory,
// appending "WHO NAME" to the log for each signal it gets, says it is ready,
// and waits until the test creates DIR/done. wait, unlike a foreground
// sleep, returns as soon as a trapped signal arrives.
// The loop's status is its last wait's, which a trapped signal arriving
// in it makes 128+N: the script ends in a command that says 0.
const trapScript = `log=$1 dir=$2 who=$3; shift 3
for s in "$@"; do trap "echo $who $s >> $log" "$s"; done
: > "$dir/ready-$who"
while [ ! -e "$dir/done" ]; do sleep 0.05 & wait $!; done
:
`

// TestCoreForwardsEverySignal sends each catchable signal to tinit, one at a
// time, and checks that the child got exactly that one. SIGPROF is sent too,
// and the child must not see it; the signal after it shows it did not
// arrive late.
func TestCoreForwardsEverySignal(t *testing.T) {
	forCoreModes(t, func(t *testing.T, m coreMode) {
		dir := t.TempDir()
		log := filepath.Join(dir, "log")
		args := []string{"bash", "-c", trapScript, "trap", log, dir, "child"}
		for _, s := range forwardedSignals {
			args = append(args, s.name)
		}
		p := startCore(t, m, nil, args...)
		waitFor(t, 10*time.Second, "the child's traps", func() bool { return fileExists(filepath.Join(dir, "ready-child")) })
		pid := p.tinitPID(t)
		var want []string
		for _, s := range forwardedSignals {
			if err := syscall.Kill(pid, s.sig); err != nil {
				t.Fatalf("kill %d SIG%s: %v", pid, s.name, err)
			}
			if s.name == notDeliverable {
				continue
			}
			want = append(want, "child "+s.name)
			waitFor(t, 10*time.Second, "SIG"+s.name+" to reach the child", func() bool {
				return len(strings.Fields(readString(log))) >= 2*len(want)
			})
		}
		touch(t, filepath.Join(dir, "done"))
		r := p.wait(t, 20*time.Second)
		got := strings.Split(strings.TrimSuffix(readString(log), "\n"), "\n")
		if !slices.Equal(got, want) || r.Code != 0 || r.Stderr != "" {
			t.Fatalf("the child got\n%q\nwant\n%q\n(code %d, stderr %q)", got, want, r.Code, r.Stderr)
		}
	})
}

// TestCorePgroupReachesGrandchild: with -g a signal reaches a grandchild in
// the child's process group; without it, only the child.
func TestCorePgroupReachesGrandchild(t *testing.T) {
	forCoreModes(t, func(t *testing.T, m coreMode) {
		for _, c := range []struct {
			flags []string
			want  string
		}{
			{[]string{"-g"}, "child USR1\ngrandchild USR1\n"},
			{nil, "child USR1\n"},
		} {
			dir := t.TempDir()
			log := filepath.Join(dir, "log")
			// The child traps USR1 as trapScript does, after starting a
			// grandchild that does the same in its process group.
			script := "bash -c \"$CORE_TRAP\" trap \"$1\" \"$2\" grandchild USR1 &\n" + trapScript + "wait\n"
			args := append(c.flags, "bash", "-c", script, "trap", log, dir, "child", "USR1")
			env := func(cmd *exec.Cmd) { cmd.Env = append(os.Environ(), "CORE_TRAP="+trapScript) }
			p := startCore(t, m, env, args...)
			waitFor(t, 10*time.Second, "both traps", func() bool {
				return fileExists(filepath.Join(dir, "ready-child")) && fileExists(filepath.Join(dir, "ready-grandchild"))
			})
			if err := syscall.Kill(p.tinitPID(t), syscall.SIGUSR1); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 10*time.Second, "SIGUSR1 to reach "+c.want, func() bool {
				return strings.Count(readString(log), "\n") >= strings.Count(c.want, "\n")
			})
			touch(t, filepath.Join(dir, "done"))
			r := p.wait(t, 20*time.Second)
			lines := strings.SplitAfter(readString(log), "\n")
			slices.Sort(lines)
			if got := strings.Join(lines, ""); got != c.want || r.Code != 0 {
				t.Errorf("flags %q: got %q code %d, want %q code 0 (stderr %q)", c.flags, got, r.Code, c.want, r.Stderr)
			}
		}
	})
}

// faultScript traps the fault signals, sends each in turn to tinit ($1)
// from inside, waits for the forwarded copy, and then exits 3. It waits
// without command substitution: bash runs a trap that lands while it parses
// a $(...) inside that parse, and then fails with "unexpected EOF while
// looking for matching )".
const faultScript = `target=$1 log=$2
sigs="ILL TRAP ABRT BUS FPE SEGV SYS"
for s in $sigs; do trap "echo $s >> $log" $s; done
: > "$log"
for s in $sigs; do
	kill -s $s "$target"
	i=0
	until grep -qx "$s" "$log"; do
		i=$((i+1)); [ $i -gt 1000 ] && { echo "no $s"; exit 9; }
		sleep 0.01
	done
done
echo survived; exit 3
`

// TestCoreFaultSignalsFromInside: the test itself sends tinit each fault
// signal with kill(2), as pid 1 and as its parent: tinit passes each one on
// and lives on, as for any other signal. Only a fault of tinit's own may
// end it.
func TestCoreFaultSignalsFromInside(t *testing.T) {
	requireTool(t, "bash", "bash")
	forCoreModes(t, func(t *testing.T, m coreMode) {
		log := filepath.Join(t.TempDir(), "log")
		target := "1"
		if !m.ns {
			target = "$PPID"
		}
		script := strings.Replace(faultScript, "target=$1 log=$2", "target="+target+" log=$2", 1)
		p := startCore(t, m, nil, "bash", "-c", script, "fault", "unused", log)
		r := p.wait(t, 30*time.Second)
		want := "ILL\nTRAP\nABRT\nBUS\nFPE\nSEGV\nSYS\n"
		if got := readString(log); r.Code != 3 || r.Stdout != "survived\n" || r.Stderr != "" || got != want {
			t.Fatalf("code %d stdout %q stderr %.300q, the child got %q; want 3, \"survived\", nothing, %q", r.Code, r.Stdout, r.Stderr, got, want)
		}
	})
}

func touch(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCoreIgnoredSIGCONTForwarded: tinit started with SIGCONT ignored (as
// `trap ” CONT; exec tinit` does) still forwards it, as tini does, and the
// child keeps it ignored. The child stops itself; only a SIGCONT that
// tinit passes on lets it go on.
func TestCoreIgnoredSIGCONTForwarded(t *testing.T) {
	requireTool(t, "bash", "bash")
	forCoreModes(t, func(t *testing.T, m coreMode) {
		dir := t.TempDir()
		script := `grep SigIgn: /proc/self/status > "$1/sigign"; : > "$1/ready"; kill -STOP $$; echo resumed; exit 3`
		argv := append([]string{"bash", "-c", `trap '' CONT; exec "$@"`, "ign"}, m.argv(t, "--", "bash", "-c", script, "child", dir)...)
		cmd := exec.Command(argv[0], argv[1:]...)
		var out, errb lockedBuffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		finished := false
		t.Cleanup(func() {
			if !finished {
				killTree(cmd.Process.Pid)
				<-done
			}
		})
		tinit := cmd.Process.Pid
		if m.ns {
			tinit = childOf(t, tinit)
		}
		waitFor(t, 10*time.Second, "the child to stop itself", func() bool {
			kids := childrenOf(tinit)
			if len(kids) != 1 || !fileExists(filepath.Join(dir, "ready")) {
				return false
			}
			st, err := readStat(kids[0])
			return err == nil && st.state == "T"
		})
		if err := syscall.Kill(tinit, syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		var err error
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("the child was not resumed: tinit did not forward SIGCONT (stderr %q)", errb.String())
		}
		finished = true
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = exitCodeOf(ee.Sys().(syscall.WaitStatus))
		}
		if code != 3 || out.String() != "resumed\n" || errb.String() != "" {
			t.Fatalf("code %d stdout %q stderr %q, want 3, \"resumed\", nothing", code, out.String(), errb.String())
		}
		f := strings.Fields(readString(filepath.Join(dir, "sigign")))
		if len(f) != 2 {
			t.Fatalf("SigIgn of the child: %q", f)
		}
		mask, _ := strconv.ParseUint(f[1], 16, 64)
		if mask&(1<<(syscall.SIGCONT-1)) == 0 {
			t.Fatalf("the child's SigIgn %s does not keep SIGCONT ignored", f[1])
		}
	})
}
