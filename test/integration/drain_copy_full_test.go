package integration

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDrainCopyFileFullDiskWholeLines: a copy file on a file system that
// fills up (a 64 KiB tmpfs) ends at its last whole line, never in a torn
// one that the next writer's line would glue on to; the output itself gets
// every byte, tinit says once why the copy stopped, and the status is the
// child's.
func TestDrainCopyFileFullDiskWholeLines(t *testing.T) {
	if os.Geteuid() != 0 {
		skipOrFail(t, "mounting a tmpfs needs root")
	}
	line := strings.Repeat("0123456789", 7) + "\n" // 71 bytes: 65536 is no multiple
	var want bytes.Buffer
	for range 3000 {
		want.WriteString(line)
	}
	forCoreModes(t, func(t *testing.T, m coreMode) {
		dir := t.TempDir()
		mnt, saved := filepath.Join(dir, "mnt"), filepath.Join(dir, "saved")
		if err := os.Mkdir(mnt, 0o755); err != nil {
			t.Fatal(err)
		}
		copyPath := filepath.Join(mnt, "copy")
		inner := sh(m.argv(t, "--stdout-file", copyPath, "--", "sh", "-c", "yes "+strings.TrimSuffix(line, "\n")+" | head -n 3000; exit 4")...)
		script := "mount -t tmpfs -o size=64k tinit-full " + mnt + " || exit 99; " + inner + "; code=$?; cp " + copyPath + " " + saved + "; exit $code"
		r := run(t, 30*time.Second, "unshare", "--mount", "--propagation", "private", "sh", "-c", script)
		if r.Code == 99 {
			t.Fatalf("mount: %s", r.Stderr)
		}
		msg := "tinit: writing the stdout copy to " + copyPath + ": no space left on device; copy stopped after its last whole line\n"
		if r.Code != 4 || r.Stdout != want.String() || r.Stderr != msg {
			t.Errorf("code %d stdout %d bytes (exact %v) stderr %q, want 4, %d bytes and %q", r.Code, len(r.Stdout), r.Stdout == want.String(), r.Stderr, want.Len(), msg)
		}
		got := drainReadFile(t, saved)
		if len(got) == 0 || len(got)%len(line) != 0 || !bytes.HasPrefix(want.Bytes(), got) {
			t.Errorf("copy: %d bytes (%d whole lines and %d bytes more), ending %q; want whole lines only",
				len(got), len(got)/len(line), len(got)%len(line), got[max(0, len(got)-20):])
		}
		t.Log("copy kept " + strconv.Itoa(len(got)/len(line)) + " lines")
	})
}
