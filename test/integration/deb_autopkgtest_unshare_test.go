package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDebAutopkgtestUnshare runs the package's own tests (debian/tests)
// against the .deb that TINIT_DEB names, as TestDebAutopkgtestNull does,
// but in a bookworm testbed of autopkgtest's unshare backend with the
// freshly built tinit as the testbed's init (virt-unshare --init: the
// series in contrib/autopkgtest applied to a tree made from the installed
// autopkgtest). autopkgtest installs the .deb into the testbed itself; it
// has no Depends, so the testbed's apt needs nothing from a mirror.
//
// All three pass there. virt-unshare chroots into a plain directory
// (unshare --root), so the testbed's / is no mount point, and a new mount
// namespace's change of propagation (mount --make-rprivate /) fails there
// with EINVAL, as in any chroot: early-late and leaked-writer then make
// their pid namespace with --propagation unchanged.
func TestDebAutopkgtestUnshare(t *testing.T) {
	deb := debUnderTest(t)
	version := installedAutopkgtest(t)
	if _, err := os.Stat(filepath.Join(autopkgtestContrib(), version)); err != nil {
		skipOrFail(t, "contrib/autopkgtest has no series for the installed autopkgtest "+version)
	}
	bed := newAptBed(t)
	tarball := minbaseTarball(t)

	// Only debian/ matters to autopkgtest; debian/files marks the tree
	// built, so the testbed runs the tests without building the package.
	bed.mock = filepath.Join(bed.base, "src", "tinit")
	if err := os.CopyFS(filepath.Join(bed.mock, "debian"), os.DirFS(filepath.Join(repoRoot, "debian"))); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bed.mock, "debian", "files"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	pkg := filepath.Join(bed.base, filepath.Base(deb))
	if r := run(t, time.Minute, "cp", deb, pkg); r.Code != 0 {
		t.Fatalf("cp %s: %s", deb, r.Stderr)
	}
	// autopkgtest hard-links it into its output dir, which the kernel
	// allows the user only on a file of its own (protected_hardlinks).
	if err := os.Chown(pkg, bed.user.Uid, bed.user.Gid); err != nil {
		t.Fatal(err)
	}
	bed.debs = []string{pkg}
	runner := installedAutopkgtestTree(t, bed, version)

	r := bed.run(t, runner, "deb-unshare", "unshare", "--init", bed.tinit, "--tarball", tarball)
	if r.Code != 0 {
		t.Fatalf("autopkgtest exited %d, want 0\nsummary:\n%s\nps-stdout:\n%s\nstderr:\n%s",
			r.Code, r.Summary, aptTail(r.Files["ps-stdout"], 2000), aptTail(r.Err, 4000))
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(r.Summary), "\n") {
		got = append(got, strings.Join(strings.Fields(l), " "))
	}
	want := []string{
		"early-late PASS",
		"leaked-writer PASS",
		"ps PASS",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("summary:\n%s\nwant:\n%s", r.Summary, strings.Join(want, "\n"))
	}
	for name, want := range map[string]string{
		"early-late":    "ok: tinit as pid 1 printed early and late and exited 3\n",
		"leaked-writer": "ok: tinit as pid 1 ended the leaked writer",
	} {
		if got := r.Files[name+"-stdout"]; !strings.Contains(got, want) {
			t.Errorf("%s did not run tinit as pid 1:\n%s", name, got)
		}
	}
	// ps ran the testbed's installed binary, from the .deb.
	if !strings.HasSuffix(r.Files["ps-stdout"], "\nok: tinit ps showed the main child and the leak; tinit exited 143\n") {
		t.Errorf("ps-stdout does not end in ps's ok line:\n%s", aptTail(r.Files["ps-stdout"], 2000))
	}
	if pkgs := aptReadFile(t, filepath.Join(r.Dir, "out", "ps-packages")); !strings.Contains("\n"+pkgs, "\ntinit\t"+debVersion(t, deb)+"\n") {
		t.Errorf("the testbed's packages do not include tinit %s:\n%s", debVersion(t, deb), pkgs)
	}
}

// debVersion is the Version field of the .deb.
func debVersion(t *testing.T, deb string) string {
	t.Helper()
	r := run(t, time.Minute, "dpkg-deb", "-f", deb, "Version")
	if r.Code != 0 {
		t.Fatalf("dpkg-deb -f %s Version: %s", deb, r.Stderr)
	}
	return strings.TrimSpace(r.Stdout)
}

// installedAutopkgtest is the version of the installed autopkgtest.
func installedAutopkgtest(t *testing.T) string {
	t.Helper()
	v, err := exec.Command("dpkg-query", "-W", "-f=${Version}", "autopkgtest").Output()
	if err != nil || len(v) == 0 {
		skipOrFail(t, "dpkg knows no installed autopkgtest")
	}
	return string(v)
}

// installedAutopkgtestTree lays out the installed autopkgtest as its git
// tree in bed's scratch directory and applies version's series, as
// contrib/autopkgtest/README.md tells a user to; it returns the runner.
func installedAutopkgtestTree(t *testing.T, bed *aptBed, version string) string {
	t.Helper()
	requireTool(t, "git", "git")
	top := filepath.Join(bed.base, "at-installed-"+version)
	if r := run(t, time.Minute, filepath.Join(autopkgtestContrib(), "tree-from-deb"), "/", top); r.Code != 0 {
		t.Fatalf("tree-from-deb /: %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	gitAm(t, top, autopkgtestCodePatches(t, version)...)
	bed.shareAll(t)
	return filepath.Join(top, "runner", "autopkgtest")
}
