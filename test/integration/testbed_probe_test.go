package integration

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// probeScript is the test every testbed runs under tinit; $1 is where tinit
// is inside. It names pid 1 by path and by content hash (podman's --init
// shows tinit as /run/podman-init, so only the hash proves what runs there),
// tries to truncate tinit (O_TRUNC asks the mount for write access before
// anything else, so a read-only bind answers EROFS whether or not the file is
// being executed), and leaks a writer that outlives the main shell.
const probeScript = `t=$1
echo "pid1: $(readlink /proc/1/exe) $(sha256sum < /proc/1/exe | cut -d' ' -f1)"
err=$( { : > "$t"; } 2>&1 )
case $err in *"Read-only file system"*) echo "write: EROFS" ;; *) echo "write: ${err:-allowed}" ;; esac
(sleep 0.5; echo late; echo late-err >&2) &
echo early
exit 3`

// probeArgv is the command line that runs probeScript inside a testbed where
// tinit is at inside.
func probeArgv(inside string) []string {
	return []string{"sh", "-c", probeScript, "sh", inside}
}

// probeWant is probeScript's stdout when tinit at inside, with content hash
// sum, is pid 1 and read-only, and the late writer was delivered.
func probeWant(inside, sum string) string {
	return "pid1: " + inside + " " + sum + "\nwrite: EROFS\nearly\nlate\n"
}

// checkProbe fails unless r is a complete, exact probe run.
func checkProbe(t *testing.T, r result, inside, sum string) {
	t.Helper()
	want := probeWant(inside, sum)
	if r.Stdout != want || r.Stderr != "late-err\n" || r.Code != 3 {
		t.Fatalf("got code %d stdout:\n%s\nstderr:\n%s\nwant code 3, stdout:\n%s\nstderr:\nlate-err", r.Code, r.Stdout, r.Stderr, want)
	}
}

// tinitCopy gives the test its own copy of the binary under test, so a
// recipe that fails to protect it cannot damage the one other tests run.
func tinitCopy(t *testing.T) (path, sum string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "tinit")
	src, err := os.Open(tinitBin)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return path, fileSHA256(t, path)
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	sum, err := contentHash(path)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// checkUnchanged fails if the file at path no longer has content hash sum.
func checkUnchanged(t *testing.T, path, sum string) {
	t.Helper()
	if got := fileSHA256(t, path); got != sum {
		t.Errorf("%s was changed: sha256 %s, was %s", path, got, sum)
	}
}
