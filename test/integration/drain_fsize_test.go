package integration

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A write of tinit's past RLIMIT_FSIZE raises SIGXFSZ on tinit's own
// thread. Forwarded, it would kill the child for a limit that the child
// never hit itself; tinit must take the EFBIG as a broken output (or a
// failed copy file) and leave the child running, as it runs without tinit.
func TestDrainFileSizeLimitStaysTinits(t *testing.T) {
	child := `head -c 200000 /dev/zero; sleep 0.2; echo after >&2`
	forCoreModes(t, func(t *testing.T, m coreMode) {
		for _, copyFile := range []bool{false, true} {
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			args := []string{"--", "sh", "-c", child}
			target := out
			if copyFile {
				args = append([]string{"--stdout-file", out}, args...)
				target = os.DevNull
			}
			argv := append([]string{"sh", "-c", `ulimit -f 100 && exec "$@" >` + target, "sh"}, m.argv(t, args...)...)
			r := run(t, 30*time.Second, argv...)
			if r.Code != 0 || !strings.HasSuffix(r.Stderr, "after\n") || strings.Contains(r.Stderr, "SIGXFSZ") {
				t.Errorf("copy file %v: code %d stderr %q, want 0 and the child's \"after\"", copyFile, r.Code, r.Stderr)
			}
			// dash counts ulimit -f in blocks of 512 bytes.
			if st, err := os.Stat(out); err != nil || st.Size() != 100*512 {
				t.Errorf("copy file %v: %s: %v, want the 51200 bytes the limit allows", copyFile, out, err)
			}
		}
	})
}

// A copy file that is a FIFO nobody reads must not hang tinit before its
// loop can take a signal: it is tinit's failure, 125 and one line, once
// fifoWait has passed. A FIFO with a reader gets the copy.
func TestDrainCopyFileFifo(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, 20*time.Second, tinitBin, "--stdout-file", fifo, "--", "echo", "hi")
	want := "tinit: copy file: " + fifo + ": nobody reads this FIFO\n"
	if r.Code != 125 || r.Stderr != want || r.Stdout != "" {
		t.Errorf("no reader: code %d stdout %q stderr %q, want 125 and %q", r.Code, r.Stdout, r.Stderr, want)
	}
	got := make(chan string, 1)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- string(b)
	}()
	r = run(t, 20*time.Second, tinitBin, "--stdout-file", fifo, "--", "echo", "hi")
	if r.Code != 0 || r.Stdout != "hi\n" || r.Stderr != "" {
		t.Errorf("with a reader: code %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	select {
	case c := <-got:
		if c != "hi\n" {
			t.Errorf("the FIFO's reader got %q, want %q", c, "hi\n")
		}
	case <-time.After(10 * time.Second):
		t.Errorf("the FIFO's reader got nothing")
	}
}
