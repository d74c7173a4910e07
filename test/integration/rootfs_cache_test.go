package integration

import (
	"os"
	"os/exec"
	"path/filepath"
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

// minbaseTarball returns a Debian bookworm minbase rootfs tarball built by
// mmdebstrap, with apt's package lists kept (autopkgtest needs them to
// resolve test dependencies). It contains no tinit. Parallel tests and
// processes build it once: the first takes a lock, the others wait for it.
func minbaseTarball(t testing.TB) string {
	t.Helper()
	requireTool(t, "mmdebstrap", "mmdebstrap")
	dir := rootfsCacheDir(t)
	out := filepath.Join(dir, "bookworm-minbase-v1.tar")
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
	cmd := exec.Command("mmdebstrap", "--quiet", "--variant=minbase", "--skip=cleanup/apt/lists", "bookworm", tmp)
	r := runCmd(t, 15*time.Minute, cmd)
	if r.Code != 0 {
		os.Remove(tmp)
		t.Fatalf("mmdebstrap failed (%d):\n%s", r.Code, r.Stderr)
	}
	if err := os.Rename(tmp, out); err != nil {
		t.Fatal(err)
	}
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
