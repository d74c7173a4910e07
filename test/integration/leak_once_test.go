package integration

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// parkedFds is a leak that hides its copies of fds 1 and 2 in a unix socket
// message it sent to itself, so that no fd table shows the pipe: it holds
// none of the output in any look at /proc, and gets its SIGTERM as a
// bystander. Its handler takes the fds back, which makes it a holder, and
// writes 3 MiB in slow chunks, so tinit sees it holding; a second SIGTERM
// makes it quit at once, as many programs do ("skip the cleanup"). Each
// SIGTERM is a line in the file argv[1] names.
const parkedFds = `
import os, signal, socket, sys, time
log = sys.argv[1]
a, b = socket.socketpair()
socket.send_fds(a, [b"x"], [1, 2])
os.close(1)
os.close(2)
terms = []
def term(sig, frame):
    with open(log, "a") as f:
        f.write("term\n")
    terms.append(sig)
    if len(terms) > 1:
        os._exit(1)
    _, fds, _, _ = socket.recv_fds(b, 1, 2)
    chunk = (b"y" * 1023 + b"\n") * 64
    for _ in range(48):
        mv = memoryview(chunk)
        while mv:
            mv = mv[os.write(fds[0], mv):]
        time.sleep(0.01)
    os._exit(0)
signal.signal(signal.SIGTERM, term)
open(log + ".ready", "w").close()
while True:
    time.sleep(1)
`

// TestLeakOneSigterm: while ending leaks, a process gets at most one
// SIGTERM from tinit, whatever role it moves between: a bystander that
// becomes a holder is not sent SIGTERM again as a holder, so its handler
// finishes and all it writes arrives.
func TestLeakOneSigterm(t *testing.T) {
	py := requireTool(t, "python3", "python3")
	forCoreModes(t, func(t *testing.T, m coreMode) {
		dir := t.TempDir()
		prog, terms := filepath.Join(dir, "parked.py"), filepath.Join(dir, "terms")
		if err := os.WriteFile(prog, []byte(parkedFds), 0o644); err != nil {
			t.Fatal(err)
		}
		// The main child exits once the leak's fds are parked.
		script := sh(py, prog, terms) + ` & until [ -e ` + terms + `.ready ]; do sleep 0.01; done; echo main; exit 3`
		r := leakRun(t, m, 30*time.Second, "--grace", "300ms", "--kill-after", "3s", "--", "sh", "-c", script)
		want := "main\n" + strings.Repeat(strings.Repeat("y", 1023)+"\n", 64*48)
		if r.Code != 3 || r.Stdout != want {
			t.Errorf("exit %d, stdout %d bytes, want 3 and %d bytes\nstderr:\n%s", r.Code, len(r.Stdout), len(want), r.Stderr)
		}
		if b, _ := os.ReadFile(terms); !bytes.Equal(b, []byte("term\n")) {
			t.Errorf("the leak got %d SIGTERMs, want 1\nstderr:\n%s", bytes.Count(b, []byte("\n")), r.Stderr)
		}
	})
}
