package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// autopkgtestRelease is one autopkgtest the tests run, and the patch that
// gives its virt-unshare --init.
type autopkgtestRelease struct {
	Version string
	// files returns the tree that holds usr/share/autopkgtest and
	// usr/bin/autopkgtest*: the host itself, or an unpacked .deb.
	files func(t testing.TB) string
}

// autopkgtestReleases are bookworm's autopkgtest, installed on the host,
// and trixie's, unpacked from its .deb.
var autopkgtestReleases = []autopkgtestRelease{
	{"5.28", func(t testing.TB) string {
		requireTool(t, "autopkgtest", "autopkgtest")
		if v := installedAutopkgtest(); v != "5.28" {
			skipOrFail(t, "autopkgtest 5.28 (bookworm's) is not the installed autopkgtest: "+v)
		}
		return "/"
	}},
	{"5.49", func(t testing.TB) string { return autopkgtestFromSuite(t, "trixie", "5.49") }},
}

// initPatch is the change that gives autopkgtest-virt-unshare --init, for
// one release, relative to autopkgtest's source tree (patch -p1).
func initPatch(version string) string {
	return filepath.Join(repoRoot, "test", "integration", "testdata", "autopkgtest", "init-"+version+".patch")
}

// autopkgtestCopy lays out rel in dir as autopkgtest's source tree does
// (runner/, virt/, lib/), the layout the runner recognises as "run from
// git": it then takes lib/ and virt/ from beside itself, so the copy can
// be patched while the installed files stay untouched. With patched it
// applies rel's --init patch. It returns the runner to execute.
func autopkgtestCopy(t testing.TB, dir string, rel autopkgtestRelease, patched bool) string {
	t.Helper()
	root := rel.files(t)
	share := filepath.Join(root, "usr", "share", "autopkgtest")
	if _, err := os.Stat(filepath.Join(share, "lib", "unshare-helper")); err != nil {
		skipOrFail(t, "autopkgtest "+rel.Version+" has no unshare-helper (autopkgtest 5.28 or later has virt-unshare)")
	}
	top := filepath.Join(dir, "autopkgtest-"+rel.Version)
	virts, err := filepath.Glob(filepath.Join(root, "usr", "bin", "autopkgtest-virt-*"))
	if err != nil || len(virts) == 0 {
		t.Fatalf("no autopkgtest-virt-* in %s", root)
	}
	for _, c := range [][]string{
		{"cp", "-a", share, top},
		{"mkdir", filepath.Join(top, "runner"), filepath.Join(top, "virt")},
		{"cp", filepath.Join(root, "usr", "bin", "autopkgtest"), filepath.Join(top, "runner", "autopkgtest")},
		append(append([]string{"cp", "-a"}, virts...), filepath.Join(top, "virt")),
	} {
		if r := run(t, time.Minute, c...); r.Code != 0 {
			t.Fatalf("%v: %d\n%s", c, r.Code, r.Stderr)
		}
	}
	if patched {
		requireTool(t, "patch", "patch")
		cmd := exec.Command("patch", "--batch", "--forward", "-p1", "-d", top, "-i", initPatch(rel.Version))
		if r := runCmd(t, time.Minute, cmd); r.Code != 0 {
			t.Fatalf("init-%s.patch does not apply to autopkgtest %s:\n%s%s", rel.Version, rel.Version, r.Stdout, r.Stderr)
		}
	}
	return filepath.Join(top, "runner", "autopkgtest")
}

// installedAutopkgtest is the host package's version.
func installedAutopkgtest() string {
	b, err := exec.Command("dpkg-query", "-W", "-f", "${Version}", "autopkgtest").Output()
	if err != nil {
		return "version unknown"
	}
	return strings.TrimSpace(string(b))
}
