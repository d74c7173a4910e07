package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// autopkgtestRelease is one autopkgtest the tests run, the suite whose
// .deb it comes from, and the series in contrib/autopkgtest/VERSION that
// gives its virt-unshare --init.
type autopkgtestRelease struct {
	Version, Suite string
}

// autopkgtestReleases are bookworm's, trixie's and sid's autopkgtest.
var autopkgtestReleases = []autopkgtestRelease{
	{"5.28", "bookworm"},
	{"5.49", "trixie"},
	{"6.0", "sid"},
}

// autopkgtestContrib is the folder that ships the series to users.
func autopkgtestContrib() string {
	return filepath.Join(repoRoot, "contrib", "autopkgtest")
}

// autopkgtestSeries is the whole series for version, in order.
func autopkgtestSeries(t testing.TB, version string) []string {
	t.Helper()
	ps, err := filepath.Glob(filepath.Join(autopkgtestContrib(), version, "*.patch"))
	if err != nil || len(ps) == 0 {
		t.Fatalf("no series in contrib/autopkgtest/%s", version)
	}
	sort.Strings(ps)
	return ps
}

// autopkgtestCodePatches is the series without the patches that change
// only upstream's tests/, which the .deb does not ship: what applies to a
// tree made from the package.
func autopkgtestCodePatches(t testing.TB, version string) []string {
	t.Helper()
	var code []string
	for _, p := range autopkgtestSeries(t, version) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		testsOnly := true
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "diff --git ") && !strings.HasPrefix(l, "diff --git a/tests/") {
				testsOnly = false
			}
		}
		if !testsOnly {
			code = append(code, p)
		}
	}
	return code
}

// autopkgtestTree lays out rel in dir/autopkgtest-VERSION as upstream's
// git tree, from its .deb, with contrib/autopkgtest/tree-from-deb: the
// runner, run from there, takes lib/ and virt/ from beside itself, so the
// installed files stay untouched. With patched it applies the whole
// series with git am, as a user would. It returns the runner to execute.
func autopkgtestTree(t testing.TB, dir string, rel autopkgtestRelease, patched bool) string {
	t.Helper()
	requireTool(t, "git", "git")
	deb := autopkgtestDeb(t, rel.Suite, rel.Version)
	top := filepath.Join(dir, "autopkgtest-"+rel.Version)
	if r := run(t, time.Minute, filepath.Join(autopkgtestContrib(), "tree-from-deb"), deb, top); r.Code != 0 {
		t.Fatalf("tree-from-deb %s: %d\n%s%s", deb, r.Code, r.Stdout, r.Stderr)
	}
	if patched {
		gitAm(t, top, autopkgtestSeries(t, rel.Version)...)
	}
	return filepath.Join(top, "runner", "autopkgtest")
}

// gitAm applies patches to the git tree dir, in order, as its committer.
func gitAm(t testing.TB, dir string, patches ...string) {
	t.Helper()
	am := exec.Command("git", append([]string{"-c", "user.name=tinit tests", "-c", "user.email=tinit@example.org",
		"am", "--quiet"}, patches...)...)
	am.Dir = dir
	if r := runCmd(t, time.Minute, am); r.Code != 0 {
		t.Fatalf("git am %v in %s: %d\n%s%s", patches, dir, r.Code, r.Stdout, r.Stderr)
	}
}
