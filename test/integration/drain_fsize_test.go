package integration

import (
	"os"
	"path/filepath"
	"strings"
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
