package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStatusReportIntoFileItCannotReplace: a report file tinit may write but
// cannot replace by a rename gets the report written into it, whole, over
// the stale one, with no error line and the child's status: a single file
// bind-mounted into the container (the rename onto a mount point fails with
// EBUSY), and a file tinit's user (nobody) owns in a directory it may not
// write (EACCES). As pid 1 and as a subreaper.
func TestStatusReportIntoFileItCannotReplace(t *testing.T) {
	if os.Geteuid() != 0 {
		skipOrFail(t, "bind mounts and dropping to nobody need root")
	}
	requireTool(t, "setpriv", "util-linux")
	stale := strings.Repeat("stale report\n", 40) // longer than the new one
	nobody := []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}
	check := func(t *testing.T, what string, r result, path string) {
		t.Helper()
		if r.Code != 3 || r.Stdout != "x\n" || r.Stderr != "" {
			t.Errorf("%s: code %d stdout %q stderr %q, want 3, x and nothing", what, r.Code, r.Stdout, r.Stderr)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if rep := decodeStatusReport(t, b); rep.ExitStatus != 3 {
			t.Errorf("%s: report says %d, want 3", what, rep.ExitStatus)
		}
	}
	forCoreModes(t, func(t *testing.T, m coreMode) {
		child := []string{"--", "sh", "-c", "echo x; exit 3"}
		t.Run("BindMountedFile", func(t *testing.T) {
			dir := t.TempDir()
			src, target := filepath.Join(dir, "outside.json"), filepath.Join(dir, "report.json")
			for _, f := range []string{src, target} {
				if err := os.WriteFile(f, []byte(stale), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			inner := sh(m.argv(t, append([]string{"--report", target}, child...)...)...)
			r := run(t, 30*time.Second, "unshare", "--mount", "--propagation", "private", "sh", "-c",
				"mount --bind "+src+" "+target+" || exit 99; exec "+inner)
			check(t, "bind-mounted file", r, src)
			if got := readString(target); got != stale {
				t.Errorf("the file under the mount point changed: %.40q", got)
			}
		})
		t.Run("DirectoryNotWritable", func(t *testing.T) {
			dir := t.TempDir()
			for _, d := range []string{filepath.Dir(dir), dir} {
				if err := os.Chmod(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			target := filepath.Join(dir, "report.json")
			if err := os.WriteFile(target, []byte(stale), 0o640); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(target, 65534, 65534); err != nil {
				t.Fatal(err)
			}
			var argv []string
			if m.ns {
				argv = append(argv, nsPrefix(t)...)
			}
			argv = append(append(append(argv, nobody...), tinitBin, "--report", target), child...)
			r := run(t, 30*time.Second, argv...)
			check(t, "directory not writable", r, target)
			if st, err := os.Stat(target); err != nil || st.Mode().Perm() != 0o640 {
				t.Errorf("mode after the report: %v %v, want 0640 kept", st.Mode(), err)
			}
		})
	})
}
