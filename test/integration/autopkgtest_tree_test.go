package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// autopkgtestShare is where Debian installs autopkgtest's library and
// helpers; autopkgtest-virt-unshare looks there first.
const autopkgtestShare = "/usr/share/autopkgtest"

// tinitPatch is the change that makes autopkgtest-virt-unshare use tinit,
// relative to autopkgtest's source tree (apply with patch -p1).
var tinitPatch = filepath.Join("testdata", "autopkgtest", "tinit.patch")

// autopkgtestCopy lays out the installed autopkgtest in dir as its source
// tree does (runner/, virt/, lib/), the layout the runner recognises as
// "run from git": it then takes lib/ and virt/ from beside itself, so the
// copy can be patched while the installed files stay untouched. With
// withTinit it applies tinitPatch and puts tinit beside unshare-helper.
// It returns the runner to execute.
func autopkgtestCopy(t testing.TB, dir string, withTinit bool) string {
	t.Helper()
	runner := requireTool(t, "autopkgtest", "autopkgtest")
	virt := requireTool(t, "autopkgtest-virt-unshare", "autopkgtest")
	if _, err := os.Stat(filepath.Join(autopkgtestShare, "lib", "unshare-helper")); err != nil {
		skipOrFail(t, "autopkgtest has no unshare-helper (autopkgtest 5.28 or later has virt-unshare)")
	}
	top := filepath.Join(dir, "autopkgtest")
	for _, c := range [][]string{
		{"cp", "-a", autopkgtestShare, top},
		{"mkdir", filepath.Join(top, "runner"), filepath.Join(top, "virt")},
		{"cp", runner, filepath.Join(top, "runner", "autopkgtest")},
		{"cp", virt, filepath.Join(top, "virt", "autopkgtest-virt-unshare")},
	} {
		if r := run(t, time.Minute, c...); r.Code != 0 {
			t.Fatalf("%v: %d\n%s", c, r.Code, r.Stderr)
		}
	}
	if withTinit {
		requireTool(t, "patch", "patch")
		cmd := exec.Command("patch", "--batch", "--forward", "-p1", "-d", top,
			"-i", filepath.Join(repoRoot, "test", "integration", tinitPatch))
		if r := runCmd(t, time.Minute, cmd); r.Code != 0 {
			t.Fatalf("%s does not apply to the installed autopkgtest (%s):\n%s%s",
				tinitPatch, autopkgtestVersion(), r.Stdout, r.Stderr)
		}
		b, err := os.ReadFile(tinitBin)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(top, "lib", "tinit"), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(top, "runner", "autopkgtest")
}

// autopkgtestVersion is the installed package's version, for messages.
func autopkgtestVersion() string {
	b, err := exec.Command("dpkg-query", "-W", "-f", "${Version}", "autopkgtest").Output()
	if err != nil {
		return "version unknown"
	}
	return "autopkgtest " + strings.TrimSpace(string(b))
}
