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

// autopkgtestFromSuite unpacks the autopkgtest .deb of suite into the cache
// (once, under a lock) and returns the unpacked tree, whose usr/ holds it.
// apt-get runs with a configuration of its own: its source list names only
// suite, pinned at priority 1, its lists and archives live in the cache,
// so what the host installs, and what its apt knows, never change.
func autopkgtestFromSuite(t testing.TB, suite, version string) string {
	t.Helper()
	requireTool(t, "apt-get", "apt")
	requireTool(t, "dpkg-deb", "dpkg")
	cache := rootfsCacheDir(t)
	out := filepath.Join(cache, "autopkgtest-"+version)
	if _, err := os.Stat(filepath.Join(out, "usr", "share", "autopkgtest")); err == nil {
		return out
	}
	lock, err := os.OpenFile(filepath.Join(cache, ".apt.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatalf("apt cache lock: %v", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatalf("apt cache lock: %v", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(filepath.Join(out, "usr", "share", "autopkgtest")); err == nil {
		return out
	}

	// The Debian archive the host's own apt uses, whatever its mirror.
	mirrors := run(t, time.Minute, "apt-get", "indextargets", "--format", "$(REPO_URI)", "Label: Debian", "Identifier: Packages")
	mirror, _, _ := strings.Cut(mirrors.Stdout, "\n")
	if mirrors.Code != 0 || mirror == "" {
		t.Fatalf("the host's apt lists no Debian archive (apt-get update first?): %d\n%s", mirrors.Code, mirrors.Stderr)
	}
	apt := filepath.Join(cache, "apt-"+suite)
	for _, d := range []string{"etc/sources.list.d", "etc/preferences.d", "lists/partial", "archives/partial", "deb"} {
		if err := os.MkdirAll(filepath.Join(apt, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"etc/sources.list": "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] " +
			mirror + " " + suite + " main\n",
		"etc/preferences.d/" + suite: "Package: *\nPin: release n=" + suite + "\nPin-Priority: 1\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(apt, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	opts := []string{"-q",
		"-o", "Dir::Etc::SourceList=" + filepath.Join(apt, "etc", "sources.list"),
		"-o", "Dir::Etc::SourceParts=" + filepath.Join(apt, "etc", "sources.list.d"),
		"-o", "Dir::Etc::PreferencesParts=" + filepath.Join(apt, "etc", "preferences.d"),
		"-o", "Dir::State::Lists=" + filepath.Join(apt, "lists"),
		"-o", "Dir::Cache=" + apt,
		// The cache is root's; apt's own _apt user could not write it.
		"-o", "APT::Sandbox::User=root",
	}
	if r := run(t, 5*time.Minute, append(append([]string{"apt-get"}, opts...), "update")...); r.Code != 0 {
		t.Fatalf("apt-get update for %s: %d\n%s%s", suite, r.Code, r.Stdout, r.Stderr)
	}
	dl := exec.Command("apt-get", append(opts, "download", "autopkgtest="+version)...)
	dl.Dir = filepath.Join(apt, "deb")
	if r := runCmd(t, 5*time.Minute, dl); r.Code != 0 {
		t.Fatalf("apt-get download autopkgtest=%s from %s: %d\n%s%s", version, suite, r.Code, r.Stdout, r.Stderr)
	}
	deb := filepath.Join(apt, "deb", "autopkgtest_"+version+"_all.deb")
	tmp := out + ".partial"
	os.RemoveAll(tmp)
	if r := run(t, time.Minute, "dpkg-deb", "-x", deb, tmp); r.Code != 0 {
		t.Fatalf("dpkg-deb -x %s: %d\n%s", deb, r.Code, r.Stderr)
	}
	if err := os.Rename(tmp, out); err != nil {
		t.Fatal(err)
	}
	return out
}
