package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDebAutopkgtestNull runs the package's own tests (debian/tests:
// early-late, leaked-writer, ps) with autopkgtest's null backend against
// a freshly built .deb, the one TINIT_DEB names: scripts/deb-check.sh
// builds it in a clean chroot and then runs this test. The null backend
// installs the .deb on this machine, so the test refuses to run where a
// tinit package is installed already, and purges it afterwards.
func TestDebAutopkgtestNull(t *testing.T) {
	deb := os.Getenv("TINIT_DEB")
	if deb == "" {
		t.Skip("TINIT_DEB names no .deb; scripts/deb-check.sh builds one and runs this test")
	}
	if _, err := os.Stat(deb); err != nil {
		t.Fatalf("TINIT_DEB: %v", err)
	}
	requireTool(t, "autopkgtest", "autopkgtest")
	if os.Geteuid() != 0 {
		skipOrFail(t, "the null backend installs the .deb: run as root")
	}
	if st, _ := exec.Command("dpkg-query", "-W", "-f=${db:Status-Status}", "tinit").Output(); len(st) > 0 && string(st) != "not-installed" {
		t.Fatalf("a tinit package is installed here already (%s): the null backend would replace it", st)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("dpkg", "--purge", "tinit").CombinedOutput(); err != nil {
			t.Errorf("dpkg --purge tinit: %v\n%s", err, out)
		}
	})
	// Only debian/ matters to autopkgtest: give it no more of the tree.
	src := filepath.Join(t.TempDir(), "tinit")
	if err := os.CopyFS(filepath.Join(src, "debian"), os.DirFS(filepath.Join(repoRoot, "debian"))); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	r := run(t, 10*time.Minute, "autopkgtest", "--output-dir", out, deb, src+"/", "--", "null")
	summary, _ := os.ReadFile(filepath.Join(out, "summary"))
	if r.Code != 0 {
		t.Fatalf("autopkgtest exited %d\nsummary:\n%s\nstderr:\n%s", r.Code, summary, tail(r.Stderr, 60))
	}
	for _, name := range []string{"early-late", "leaked-writer", "ps"} {
		if !regexp.MustCompile(`(?m)^` + name + ` +PASS$`).Match(summary) {
			t.Errorf("%s did not pass:\n%s", name, summary)
		}
	}
	// The tests ran the installed binary, as pid 1 and as a subreaper.
	for _, want := range []string{
		"ok: tinit as pid 1 printed early and late and exited 3",
		"ok: tinit as a subreaper ended the leaked writer with SIGKILL",
		"ok: tinit ps showed the main child and the leak; tinit exited 143",
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("autopkgtest's output lacks %q:\n%s", want, tail(r.Stdout, 60))
		}
	}
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
