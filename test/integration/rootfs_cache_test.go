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

// rootfsCacheDir holds the Debian rootfs tarballs the testbed tests share.
// Building one takes about half a minute from the mirror, so it is kept
// between runs; TINIT_TEST_CACHE moves it.
func rootfsCacheDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("TINIT_TEST_CACHE")
	if dir == "" {
		dir = "/var/tmp/tinit-test-cache"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("cache dir: %v", err)
	}
	return dir
}

// minbaseTarball returns a Debian bookworm minbase rootfs tarball for the
// host's architecture; see debianTarball.
func minbaseTarball(t testing.TB) string {
	t.Helper()
	return debianTarball(t, "bookworm", "")
}

// debianTarball returns a minbase rootfs tarball of suite, built by
// mmdebstrap for arch ("" for the host's own), with apt's package lists
// kept (autopkgtest needs them to resolve test dependencies). It contains
// no tinit. Parallel tests and processes build each once: the first takes
// a lock, the others wait for it. A foreign arch needs its binfmt handler
// enabled first (enableBinfmt).
func debianTarball(t testing.TB, suite, arch string) string {
	t.Helper()
	requireTool(t, "mmdebstrap", "mmdebstrap")
	dir := rootfsCacheDir(t)
	name := suite + "-minbase-v1.tar"
	args := []string{"--quiet", "--variant=minbase", "--skip=cleanup/apt/lists"}
	if arch != "" {
		name = suite + "-" + arch + "-minbase-v1.tar"
		args = append(args, "--arch="+arch)
	}
	if suite == "sid" {
		// sid's Release file is valid for a week only, and a mirror that
		// serves a snapshot serves an expired one; the option also lands
		// in the tarball's apt.conf.d, for apt inside the testbed.
		args = append(args, `--aptopt=Acquire::Check-Valid-Until "false"`)
	}
	out := filepath.Join(dir, name)
	if _, err := os.Stat(out); err == nil {
		return out
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatalf("cache lock: %v", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatalf("cache lock: %v", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(out); err == nil {
		return out
	}
	tmp := out + ".partial.tar"
	cmd := exec.Command("mmdebstrap", append(args, suite, tmp)...)
	// Under qemu-user every maintainer script is emulated: an arm64
	// minbase takes minutes, not seconds.
	r := runCmd(t, 40*time.Minute, cmd)
	if r.Code != 0 {
		os.Remove(tmp)
		t.Fatalf("mmdebstrap %s failed (%d):\n%s", strings.Join(cmd.Args[1:], " "), r.Code, r.Stderr)
	}
	if err := os.Rename(tmp, out); err != nil {
		t.Fatal(err)
	}
	t.Logf("built %s in %v", name, r.Elapsed.Round(time.Second))
	return out
}

// minbaseTree unpacks the minbase tarball into a fresh directory of the
// test's own, for `unshare --root` and bubblewrap.
func minbaseTree(t testing.TB) string {
	t.Helper()
	tar := minbaseTarball(t)
	dir := t.TempDir()
	r := run(t, 5*time.Minute, "tar", "-C", dir, "-xf", tar)
	if r.Code != 0 {
		t.Fatalf("unpacking %s: %s", tar, r.Stderr)
	}
	return dir
}
