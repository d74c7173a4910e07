package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestCoreWorkingDirectory: the child starts in the caller's directory, and
// tinit itself moves to / so it pins no mount. The child polls tinit's cwd
// because tinit moves only after the child has started.
func TestCoreWorkingDirectory(t *testing.T) {
	script := `pwd -P
for i in $(seq 500); do [ "$(readlink /proc/$PPID/cwd)" = / ] && { echo "tinit in /"; exit 0; }; sleep 0.01; done
echo "tinit in $(readlink /proc/$PPID/cwd)"; exit 1`
	forCoreModes(t, func(t *testing.T, m coreMode) {
		dir, err := filepath.EvalSymlinks(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		p := startCore(t, m, func(c *exec.Cmd) { c.Dir = dir }, "bash", "-c", script)
		r := p.wait(t, 20*time.Second)
		if want := dir + "\ntinit in /\n"; r.Code != 0 || r.Stdout != want {
			t.Fatalf("code %d stdout %q, want %q (stderr %q)", r.Code, r.Stdout, want, r.Stderr)
		}
	})
}

// TestCoreInheritedFds: an fd the caller passes to tinit (5 here, with 3
// and 4 closed) reaches the child, and no fd tinit opened itself does: ls,
// run as the child itself, sees exactly what it sees without tinit: 0-2, 5,
// the directory it lists on 3, and whatever the test process inherited.
func TestCoreInheritedFds(t *testing.T) {
	forCoreModes(t, func(t *testing.T, m coreMode) {
		f, err := os.CreateTemp(t.TempDir(), "fd5")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString("through fd 5\n"); err != nil {
			t.Fatal(err)
		}
		pass5 := func(c *exec.Cmd) { c.ExtraFiles = []*os.File{nil, nil, f} }
		// The fds the test process itself inherited reach ls the same way, so
		// the same ls without tinit is the reference.
		lsFds := []string{"ls", "/proc/self/fd"}
		var prefix []string
		if m.ns {
			prefix = nsPrefix(t)
		}
		ref := exec.Command("ls", "/proc/self/fd")
		if prefix != nil {
			ref = exec.Command(prefix[0], append(prefix[1:], lsFds...)...)
		}
		pass5(ref)
		refOut := runCmd(t, 20*time.Second, ref).Stdout
		if !strings.HasPrefix(refOut, "0\n1\n") || !strings.Contains(refOut, "\n3\n") || !strings.HasSuffix(refOut, "\n5\n") || strings.Contains(refOut, "\n4\n") {
			t.Fatalf("ls without tinit lists fds %q", refOut)
		}
		for _, c := range []struct {
			args []string
			want string
		}{
			{lsFds, refOut},
			{append([]string{"--no-drain"}, lsFds...), refOut},
			{[]string{"cat", "/proc/self/fd/5"}, "through fd 5\n"},
		} {
			p := startCore(t, m, pass5, c.args...)
			r := p.wait(t, 20*time.Second)
			if r.Code != 0 || r.Stdout != c.want || r.Stderr != "" {
				t.Errorf("%q: code %d stdout %q stderr %q, want %q", c.args, r.Code, r.Stdout, r.Stderr, c.want)
			}
		}
	})
}

// sigWrapper is a perl one-liner that starts its arguments with SIGUSR1
// and SIGWINCH blocked and SIGINT and SIGHUP ignored.
const sigWrapper = `use POSIX (); POSIX::sigprocmask(POSIX::SIG_BLOCK(), POSIX::SigSet->new(10, 28)) or die;
$SIG{INT} = "IGNORE"; $SIG{HUP} = "IGNORE"; exec @ARGV or die "exec: $!"`

// TestCoreSignalDispositionsInherited: the child keeps the signal mask and
// the ignored SIGINT and SIGHUP that tinit started with: its SigBlk and
// SigIgn equal those of the same command run without tinit.
//
// Other ignored signals are not kept: the Go runtime installs its own
// handlers for them before tinit's code runs and keeps no public record of
// the old disposition (it does for SIGINT and SIGHUP only).
func TestCoreSignalDispositionsInherited(t *testing.T) {
	requireTool(t, "perl", "perl-base")
	forCoreModes(t, func(t *testing.T, m coreMode) {
		probe := []string{"grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"}
		var prefix []string
		if m.ns {
			prefix = nsPrefix(t)
		}
		without := run(t, 20*time.Second, append(append([]string{"perl", "-e", sigWrapper}, prefix...), probe...)...)
		with := run(t, 20*time.Second, append([]string{"perl", "-e", sigWrapper}, m.argv(t, probe...)...)...)
		var blk, ign uint64
		if _, err := fmt.Sscanf(without.Stdout, "SigBlk:\t%x\nSigIgn:\t%x\n", &blk, &ign); err != nil ||
			blk&0x8000200 != 0x8000200 || ign&0x3 != 0x3 {
			t.Fatalf("the wrapper itself gives %q (stderr %q), want USR1 and WINCH blocked, HUP and INT ignored", without.Stdout, without.Stderr)
		}
		if with.Stdout != without.Stdout || with.Code != 0 {
			t.Fatalf("under tinit the child has %q, without tinit %q (code %d stderr %q)", with.Stdout, without.Stdout, with.Code, with.Stderr)
		}
	})
}

// TestCoreEnvironmentInherited: the child gets tinit's environment as is,
// TINIT_* variables included.
func TestCoreEnvironmentInherited(t *testing.T) {
	forCoreModes(t, func(t *testing.T, m coreMode) {
		r, err := runQuiet(20*time.Second, m.argv(t, "sh", "-c", `printf '%s|%s' "$CORE_X" "$TINIT_GRACE"`),
			"CORE_X=a b\tc", "TINIT_GRACE=3s")
		if err != nil || r.Stdout != "a b\tc|3s" || r.Code != 0 {
			t.Fatalf("err %v code %d stdout %q stderr %q", err, r.Code, r.Stdout, r.Stderr)
		}
	})
}

// TestCoreCPUAffinityInherited: the child and every thread of tinit keep the
// CPUs the caller allowed, also when the caller restricted them. A thread
// of tinit's narrowed (as one once was, pinned while installing signal
// handlers), or a child forked from one, would show here as a narrower
// list.
func TestCoreCPUAffinityInherited(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("needs two CPUs to tell one CPU from all of them")
	}
	requireTool(t, "taskset", "util-linux")
	script := `grep Cpus_allowed_list /proc/self/status; cat /proc/$PPID/task/*/status | grep Cpus_allowed_list | sort -u`
	for _, cpus := range []string{"", "1"} {
		forCoreModes(t, func(t *testing.T, m coreMode) {
			argv := m.argv(t, "--", "sh", "-c", script)
			ref := []string{"grep", "Cpus_allowed_list", "/proc/self/status"}
			if cpus != "" {
				argv = append([]string{"taskset", "-c", cpus}, argv...)
				ref = append([]string{"taskset", "-c", cpus}, ref...)
			}
			want := run(t, 10*time.Second, ref...).Stdout
			r := run(t, 20*time.Second, argv...)
			if r.Code != 0 || r.Stdout != want+want {
				t.Fatalf("taskset %q: code %d stdout %q, want %q twice (stderr %q)", cpus, r.Code, r.Stdout, want, r.Stderr)
			}
		})
	}
}
