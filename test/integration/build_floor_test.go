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

// floorLine is the README's statement of the oldest versions that build
// tinit; the test takes the versions from it, so the two cannot drift.
var floorLine = regexp.MustCompile(`oldest versions that build tinit and pass its unit tests are Go (1\.\d+), golang\.org/x/sys (v\d+\.\d+\.\d+) and\s+github\.com/prometheus/procfs (v\d+\.\d+\.\d+)`)

// TestBuildOldestVersions builds tinit and runs its unit tests with the
// oldest Go and libraries the README names (Debian trixie's: dh-golang
// builds with the suite's packaged libraries, whatever go.mod says). The
// Go release comes through the module proxy as GOTOOLCHAIN; the tree is a
// copy whose go.mod pins the old versions.
func TestBuildOldestVersions(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := floorLine.FindSubmatch(readme)
	if m == nil {
		t.Fatalf("README.md states no oldest versions matching %v", floorLine)
	}
	goVer, sysVer, procfsVer := string(m[1]), string(m[2]), string(m[3])
	dir := t.TempDir()
	for _, d := range []string{"cmd", "internal", "docs"} {
		if err := os.CopyFS(filepath.Join(dir, d), os.DirFS(filepath.Join(repoRoot, d))); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	gomod := "module tinit\n\ngo " + goVer + "\n\nrequire (\n" +
		"\tgithub.com/prometheus/procfs " + procfsVer + "\n" +
		"\tgolang.org/x/sys " + sysVer + "\n)\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "GOTOOLCHAIN=go"+goVer+".0", "GOFLAGS=-mod=mod", "CGO_ENABLED=0")
	for _, argv := range [][]string{
		{"go", "version"},
		{"go", "mod", "tidy"},
		{"go", "vet", "./cmd/...", "./internal/..."},
		{"go", "test", "-count=1", "./cmd/...", "./internal/..."},
	} {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir, cmd.Env = dir, env
		r := runCmd(t, 10*time.Minute, cmd)
		if r.Code != 0 {
			t.Fatalf("%s with Go %s, x/sys %s, procfs %s: exit %d\n%s%s",
				strings.Join(argv, " "), goVer, sysVer, procfsVer, r.Code, r.Stdout, r.Stderr)
		}
		if argv[1] == "version" && !strings.Contains(r.Stdout, "go"+goVer+".0 ") {
			t.Fatalf("go version says %q, want go%s.0", r.Stdout, goVer)
		}
	}
	// MVS may have raised a version; the run must have used those named.
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"github.com/prometheus/procfs " + procfsVer, "golang.org/x/sys " + sysVer} {
		if !strings.Contains(string(b), want) {
			t.Fatalf("go mod tidy changed the versions; go.mod is now:\n%s", b)
		}
	}
}
