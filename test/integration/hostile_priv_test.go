package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// worldTinit is a copy of tinit that an unprivileged user may run (the
// harness's build directory is private to root).
func worldTinit(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(tinitBin)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "tinit")
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// The basic scenario in unusual surroundings: a late writer is delivered,
// a leaked sleep is ended, the child's status comes back, and no leaked
// process survives. tinit runs as non-root in a user namespace, as the
// unprivileged user nobody, and on a read-only root file system.
func TestHostileUnprivilegedAndReadOnly(t *testing.T) {
	bin := worldTinit(t)
	nobody := []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}
	userns := []string{"unshare", "--user", "--map-root-user", "--pid", "--fork", "--mount-proc"}
	bwrap := []string{"bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-pid", "--as-pid-1"}
	bwrapUser := append([]string{"bwrap", "--unshare-user"}, bwrap[1:]...)
	const probe = `; if touch /.tinit-ro-probe 2>/dev/null; then echo writable; else echo read-only; fi`
	for _, tc := range []struct {
		name   string
		root   bool // needs root to set up
		prefix []string
		tool   string
		extra  string
		want   string
	}{
		{"UserNamespace", false, userns, "unshare", "", ""},
		{"NobodyInUserNamespace", true, append(nobody, userns...), "setpriv", "", ""},
		{"NobodySubreaper", true, nobody, "setpriv", "", ""},
		{"ReadOnlyRoot", true, bwrap, "bwrap", probe, "read-only\n"},
		{"ReadOnlyRootNobody", true, append(nobody, bwrapUser...), "bwrap", probe, "read-only\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.root && os.Geteuid() != 0 {
				t.Skip("needs root to drop to nobody or to bind-mount")
			}
			requireTool(t, tc.tool, map[string]string{"unshare": "util-linux", "setpriv": "util-linux", "bwrap": "bubblewrap"}[tc.tool])
			mark := newMark(t)
			script := `(sleep 0.3; echo late) & (exec -a "$0" sleep 1000) & echo early` + tc.extra + `; exit 3`
			argv := append(append([]string{}, tc.prefix...), bin, "--grace", "1500ms", "--kill-after", hostileKillAfter.String(),
				"--", "bash", "-c", script, mark)
			r := runCmd(t, 30*time.Second, exec.Command(argv[0], argv[1:]...))
			want := "early\n" + tc.want + "late\n"
			if r.Code != 3 || r.Stdout != want {
				t.Fatalf("got code %d stdout %q, want 3 and %q\nstderr: %s", r.Code, r.Stdout, want, r.Stderr)
			}
			if !strings.Contains(r.Stderr, "still holding its output") || !strings.Contains(r.Stderr, mark) {
				t.Fatalf("stderr does not report the leaked %s:\n%s", mark, r.Stderr)
			}
			if left := marked(mark); len(left) > 0 {
				t.Fatalf("the leaked sleep %v survived tinit", left)
			}
		})
	}
}
