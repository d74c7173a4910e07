package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// autopkgtestDeb downloads autopkgtest VERSION's .deb from suite into the
// cache (once, under a lock) and returns its path.
func autopkgtestDeb(t testing.TB, suite, version string) string {
	t.Helper()
	apt := newSuiteApt(t, suite)
	defer apt.unlock()
	deb := filepath.Join(apt.dir, "deb", "autopkgtest_"+version+"_all.deb")
	if _, err := os.Stat(deb); err == nil {
		return deb
	}
	apt.update(t)
	dl := exec.Command("apt-get", append(apt.opts, "download", "autopkgtest="+version)...)
	dl.Dir = filepath.Join(apt.dir, "deb")
	if r := runCmd(t, 5*time.Minute, dl); r.Code != 0 {
		t.Fatalf("apt-get download autopkgtest=%s from %s: %d\n%s%s", version, suite, r.Code, r.Stdout, r.Stderr)
	}
	return deb
}

// autopkgtestSource fetches and unpacks autopkgtest VERSION's source
// package from suite into the cache (once, under a lock) and returns the
// tree, which has upstream's tests/ beside runner/, lib/ and virt/.
func autopkgtestSource(t testing.TB, suite, version string) string {
	t.Helper()
	requireTool(t, "dpkg-source", "dpkg-dev")
	apt := newSuiteApt(t, suite)
	defer apt.unlock()
	out := filepath.Join(apt.dir, "src", "autopkgtest-"+version)
	if _, err := os.Stat(filepath.Join(out, "tests", "autopkgtest")); err == nil {
		return out
	}
	apt.update(t)
	dl := filepath.Join(apt.dir, "src", "dl")
	os.RemoveAll(dl)
	if err := os.MkdirAll(dl, 0o755); err != nil {
		t.Fatal(err)
	}
	get := exec.Command("apt-get", append(apt.opts, "source", "--download-only", "autopkgtest="+version)...)
	get.Dir = dl
	if r := runCmd(t, 5*time.Minute, get); r.Code != 0 {
		t.Fatalf("apt-get source autopkgtest=%s from %s: %d\n%s%s", version, suite, r.Code, r.Stdout, r.Stderr)
	}
	tmp := out + ".partial"
	os.RemoveAll(tmp)
	x := exec.Command("dpkg-source", "-x", "autopkgtest_"+version+".dsc", tmp)
	x.Dir = dl
	if r := runCmd(t, 5*time.Minute, x); r.Code != 0 {
		t.Fatalf("dpkg-source -x autopkgtest_%s.dsc: %d\n%s%s", version, r.Code, r.Stdout, r.Stderr)
	}
	if err := os.Rename(tmp, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// suiteApt is an apt configuration of its own for one suite: its source
// list names only that suite (packages and sources), pinned at priority 1,
// and its lists and archives live in the cache, so what the host installs,
// and what its apt knows, never change. It holds the cache's apt lock
// until unlock.
type suiteApt struct {
	suite, mirror, dir string
	opts               []string
	lock               *os.File
	updated            bool
}

func newSuiteApt(t testing.TB, suite string) *suiteApt {
	t.Helper()
	requireTool(t, "apt-get", "apt")
	requireTool(t, "dpkg-deb", "dpkg")
	cache := rootfsCacheDir(t)
	lock, err := os.OpenFile(filepath.Join(cache, ".apt.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatalf("apt cache lock: %v", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		lock.Close()
		t.Fatalf("apt cache lock: %v", err)
	}
	a := &suiteApt{suite: suite, dir: filepath.Join(cache, "apt-"+suite), lock: lock}

	// The Debian archive the host's own apt uses, whatever its mirror.
	mirrors := run(t, time.Minute, "apt-get", "indextargets", "--format", "$(REPO_URI)", "Label: Debian", "Identifier: Packages")
	a.mirror, _, _ = strings.Cut(mirrors.Stdout, "\n")
	if mirrors.Code != 0 || a.mirror == "" {
		a.unlock()
		t.Fatalf("the host's apt lists no Debian archive (apt-get update first?): %d\n%s", mirrors.Code, mirrors.Stderr)
	}
	for _, d := range []string{"etc/sources.list.d", "etc/preferences.d", "lists/partial", "archives/partial", "deb", "src"} {
		if err := os.MkdirAll(filepath.Join(a.dir, d), 0o755); err != nil {
			a.unlock()
			t.Fatal(err)
		}
	}
	line := " [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] " + a.mirror + " " + suite + " main\n"
	files := map[string]string{
		"etc/sources.list":           "deb" + line + "deb-src" + line,
		"etc/preferences.d/" + suite: "Package: *\nPin: release n=" + suite + "\nPin-Priority: 1\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(a.dir, name), []byte(body), 0o644); err != nil {
			a.unlock()
			t.Fatal(err)
		}
	}
	a.opts = []string{"-q",
		"-o", "Dir::Etc::SourceList=" + filepath.Join(a.dir, "etc", "sources.list"),
		"-o", "Dir::Etc::SourceParts=" + filepath.Join(a.dir, "etc", "sources.list.d"),
		"-o", "Dir::Etc::PreferencesParts=" + filepath.Join(a.dir, "etc", "preferences.d"),
		"-o", "Dir::State::Lists=" + filepath.Join(a.dir, "lists"),
		"-o", "Dir::Cache=" + a.dir,
		// sid's Release file is valid for a week only, and a mirror that
		// serves a snapshot serves an expired one.
		"-o", "Acquire::Check-Valid-Until=false",
		// The cache is root's; apt's own _apt user could not write it.
		"-o", "APT::Sandbox::User=root",
	}
	return a
}

func (a *suiteApt) update(t testing.TB) {
	t.Helper()
	if a.updated {
		return
	}
	if r := run(t, 5*time.Minute, append(append([]string{"apt-get"}, a.opts...), "update")...); r.Code != 0 {
		t.Fatalf("apt-get update for %s: %d\n%s%s", a.suite, r.Code, r.Stdout, r.Stderr)
	}
	a.updated = true
}

func (a *suiteApt) unlock() {
	syscall.Flock(int(a.lock.Fd()), syscall.LOCK_UN)
	a.lock.Close()
}
