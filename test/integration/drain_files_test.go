package integration

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// drainOutErrScript writes the two data files to stdout and stderr, interleaved
// in pieces, and exits 5.
func drainOutErrData(t *testing.T, n int) (dir string, out, errb []byte) {
	dir = t.TempDir()
	out, errb = drainTextData(n, 'a'), drainTextData(n, 'n')
	for name, b := range map[string][]byte{"out.data": out, "err.data": errb} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, out, errb
}

const drainOutErrScript = `for i in 0 1 2 3; do
	dd if="$1/out.data" bs=64k skip=$((i*16)) count=16 status=none
	dd if="$1/err.data" bs=64k skip=$((i*16)) count=16 status=none >&2
done; exit 5`

// drainSplitByAlphabet undoes the interleaving of two drainTextData streams in one
// file: each letter says which stream it came from; newlines are counted.
func drainSplitByAlphabet(b []byte) (out, errb []byte, newlines int) {
	for _, c := range b {
		switch {
		case c == '\n':
			newlines++
		case c < 'n':
			out = append(out, c)
		default:
			errb = append(errb, c)
		}
	}
	return out, errb, newlines
}

func drainCheckShared(t *testing.T, what string, got, out, errb []byte) {
	t.Helper()
	o, e, nl := drainSplitByAlphabet(got)
	wo, we, wnl := drainSplitByAlphabet(append(append([]byte{}, out...), errb...))
	if len(got) != len(out)+len(errb) || !bytes.Equal(o, wo) || !bytes.Equal(e, we) || nl != wnl {
		t.Fatalf("%s: %d bytes, want %d; stdout's bytes intact: %v, stderr's: %v",
			what, len(got), len(out)+len(errb), bytes.Equal(o, wo), bytes.Equal(e, we))
	}
}

func drainReadFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// --stdout-file and --stderr-file append exactly what was forwarded.
func TestDrainCopyFiles(t *testing.T) {
	dir, out, errb := drainOutErrData(t, 4<<20)
	fo, fe := filepath.Join(dir, "copy.out"), filepath.Join(dir, "copy.err")
	for _, f := range []string{fo, fe} {
		if err := os.WriteFile(f, []byte("old\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := inNS(t, time.Minute, "--stdout-file", fo, "--stderr-file", fe, "--", "sh", "-c", drainOutErrScript, "sh", dir)
	if r.Code != 5 || r.Stdout != string(out) || r.Stderr != string(errb) {
		t.Fatalf("code %d, stdout %d bytes (exact %v), stderr %d bytes (exact %v)",
			r.Code, len(r.Stdout), r.Stdout == string(out), len(r.Stderr), r.Stderr == string(errb))
	}
	if got := drainReadFile(t, fo); !bytes.Equal(got, append([]byte("old\n"), out...)) {
		t.Fatalf("stdout copy: %d bytes, want %d", len(got), 4+len(out))
	}
	if got := drainReadFile(t, fe); !bytes.Equal(got, append([]byte("old\n"), errb...)) {
		t.Fatalf("stderr copy: %d bytes, want %d", len(got), 4+len(errb))
	}
}

// Both streams copied to one file: neither overwrites the other, even when
// one stream ends long before the other.
func TestDrainCopyFileShared(t *testing.T) {
	dir, out, errb := drainOutErrData(t, 4<<20)
	both := filepath.Join(dir, "both")
	r := inNS(t, time.Minute, "--stdout-file", both, "--stderr-file", filepath.Join(dir, ".", "both"), "--",
		"sh", "-c", drainOutErrScript+`; `, "sh", dir)
	if r.Code != 5 || r.Stdout != string(out) || r.Stderr != string(errb) {
		t.Fatalf("code %d, stdout exact %v, stderr exact %v (%d bytes)", r.Code, r.Stdout == string(out),
			r.Stderr == string(errb), len(r.Stderr))
	}
	drainCheckShared(t, "shared copy", drainReadFile(t, both), out, errb)

	// stdout done at once, stderr 300ms later: the copy must outlive the
	// first stream's end.
	os.Remove(both)
	r = inNS(t, time.Minute, "--stdout-file", both, "--stderr-file", both, "--",
		"sh", "-c", `echo first; exec >&-; sleep 0.3; echo second >&2`)
	if r.Code != 0 || r.Stdout != "first\n" || r.Stderr != "second\n" {
		t.Fatalf("code %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	if got := string(drainReadFile(t, both)); got != "first\nsecond\n" {
		t.Fatalf("shared copy %q, want first and second", got)
	}
}

// tinit's own stdout an O_APPEND file (`>>log`), with a copy file too.
func TestDrainOutputAppendFile(t *testing.T) {
	dir, out, errb := drainOutErrData(t, 2<<20)
	logPath, copyPath := filepath.Join(dir, "log"), filepath.Join(dir, "copy")
	if err := os.WriteFile(logPath, []byte("head\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(tinitBin, "--stdout-file", copyPath, "--", "sh", "-c", drainOutErrScript, "sh", dir)
	cmd.Stdout = f
	r := runCmd(t, time.Minute, cmd)
	if r.Code != 5 || r.Stderr != string(errb) {
		t.Fatalf("code %d, stderr exact %v", r.Code, r.Stderr == string(errb))
	}
	if got := drainReadFile(t, logPath); !bytes.Equal(got, append([]byte("head\n"), out...)) {
		t.Fatalf(">>log: %d bytes, want %d", len(got), 5+len(out))
	}
	if got := drainReadFile(t, copyPath); !bytes.Equal(got, out) {
		t.Fatalf("copy: %d bytes, want %d", len(got), len(out))
	}
}

// `tinit ... >log 2>&1`: one open file, one offset, two streams.
func TestDrainOutputOneFileBothStreams(t *testing.T) {
	dir, out, errb := drainOutErrData(t, 2<<20)
	logPath := filepath.Join(dir, "log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(tinitBin, "--stderr-file", filepath.Join(dir, "err.copy"), "--", "sh", "-c", drainOutErrScript, "sh", dir)
	cmd.Stdout, cmd.Stderr = f, f
	if r := runCmd(t, time.Minute, cmd); r.Code != 5 {
		t.Fatalf("code %d", r.Code)
	}
	drainCheckShared(t, ">log 2>&1", drainReadFile(t, logPath), out, errb)
	if got := drainReadFile(t, filepath.Join(dir, "err.copy")); !bytes.Equal(got, errb) {
		t.Fatalf("stderr copy: %d bytes, want %d", len(got), len(errb))
	}
}

// A stdout whose reader is gone acts as it would without tinit: the
// child's write fails (cat dies of SIGPIPE), the script goes on and exits
// with its own status, tinit says once that stdout broke, and the copy
// holds what was forwarded, which is nothing.
func TestDrainClosedStdout(t *testing.T) {
	dir, _, _ := drainOutErrData(t, 4<<20)
	copyPath := filepath.Join(dir, "copy")
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	pr.Close()
	defer pw.Close()
	argv := append(nsPrefix(t), tinitBin, "--stdout-file", copyPath, "--",
		"sh", "-c", `cat "$1/out.data"; echo "cat $?" >&2; exit 5`, "sh", dir)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout = pw
	r := runCmd(t, time.Minute, cmd)
	if r.Code != 5 {
		t.Fatalf("code %d, want the child's 5\nstderr: %s", r.Code, r.Stderr)
	}
	if n := strings.Count(r.Stderr, "cannot write to stdout"); n != 1 || !strings.HasSuffix(r.Stderr, "cat 141\n") {
		t.Fatalf("stderr should say once that stdout is gone, then that cat died of SIGPIPE:\n%s", r.Stderr)
	}
	if got := drainReadFile(t, copyPath); len(got) != 0 {
		t.Fatalf("copy: %d bytes, want none", len(got))
	}
}

// `tinit -- yes | head -1` ends as it does without tinit: when head exits,
// yes gets SIGPIPE, and tinit exits 141 within a second; a copy file holds
// whole lines of what was forwarded. The same for stderr.
func TestDrainBrokenOutputEndsTheWriter(t *testing.T) {
	forCoreModes(t, func(t *testing.T, m coreMode) {
		for _, stream := range []string{"stdout", "stderr"} {
			for run := range 5 {
				copyPath := filepath.Join(t.TempDir(), "copy")
				script := "yes"
				if stream == "stderr" {
					script = "yes >&2"
				}
				argv := m.argv(t, "--"+stream+"-file", copyPath, "--", "sh", "-c", script)
				pr, pw, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				head := exec.Command("head", "-1")
				var headOut bytes.Buffer
				head.Stdin, head.Stdout = pr, &headOut
				if err := head.Start(); err != nil {
					t.Fatal(err)
				}
				pr.Close()
				cmd := exec.Command(argv[0], argv[1:]...)
				var errb lockedBuffer
				cmd.Stdout, cmd.Stderr = pw, &errb
				if stream == "stderr" {
					cmd.Stdout, cmd.Stderr = &errb, pw
				}
				cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				pw.Close()
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				if err := head.Wait(); err != nil || headOut.String() != "y\n" {
					t.Fatalf("head: %v, read %q", err, headOut.String())
				}
				headExited := time.Now()
				var werr error
				select {
				case werr = <-done:
				case <-time.After(20 * time.Second):
					killTree(cmd.Process.Pid)
					<-done
					t.Fatalf("%s run %d: tinit still runs 20 s after head exited\nstderr: %s", stream, run, errb.String())
				}
				took := time.Since(headExited)
				code := 0
				if ee, ok := werr.(*exec.ExitError); ok {
					code = exitCodeOf(ee.Sys().(syscall.WaitStatus))
				}
				if code != 141 || took > time.Second {
					t.Fatalf("%s run %d: code %d %v after head exited, want 141 within a second\nstderr: %s", stream, run, code, took, errb.String())
				}
				got := drainReadFile(t, copyPath)
				if len(got) < 2 || len(got)%2 != 0 || strings.Trim(string(got), "y\n") != "" || strings.Contains(string(got), "yy") {
					t.Fatalf("%s run %d: the copy holds %d bytes, want whole lines of y", stream, run, len(got))
				}
				if stream == "stdout" && strings.Count(errb.String(), "cannot write to stdout") != 1 {
					t.Fatalf("%s run %d: stderr should say once that stdout broke:\n%s", stream, run, errb.String())
				}
			}
		}
	})
}

// --no-drain is tini: the child's fd 1 is tinit's own, and what a leaked
// process writes after the child exits is lost, under both.
func TestDrainNoDrainLikeTini(t *testing.T) {
	script := `readlink /proc/self/fd/1; (sleep 0.3; echo late) & echo early; exit 2`
	run := func(init ...string) (string, int) {
		path := filepath.Join(t.TempDir(), "out")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		argv := append(append(nsPrefix(t), init...), "sh", "-c", script)
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stdout = f
		r := runCmd(t, 30*time.Second, cmd)
		time.Sleep(500 * time.Millisecond) // a surviving late writer would have written by now
		got := strings.ReplaceAll(string(drainReadFile(t, path)), path, "OUT")
		return got, r.Code
	}
	got, code := run(tinitBin, "--no-drain", "--")
	if got != "OUT\nearly\n" || code != 2 {
		t.Fatalf("--no-drain: stdout %q code %d, want the file itself as fd 1, early only, and 2", got, code)
	}
	if _, err := exec.LookPath("tini"); err != nil {
		t.Log("tini is not installed: not compared")
		return
	}
	if tg, tc := run("tini", "--"); tg != got || tc != code {
		t.Fatalf("tini: %q %d; tinit --no-drain: %q %d", tg, tc, got, code)
	}
}
