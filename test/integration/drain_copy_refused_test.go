package integration

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestDrainCopyFileRefusedWithoutDrain: a copy file needs tinit between the
// child and the output. A stream the child writes to tinit's own fd
// (--no-drain, or a terminal, which the child gets itself to keep its line
// discipline and job control) has no copy to give, so tinit refuses the
// combination before it starts anything: 125 and one line, no copy file
// made, the command never run. A copy of the other stream, which tinit does
// drain, is still made.
func TestDrainCopyFileRefusedWithoutDrain(t *testing.T) {
	noDrain := func(stream string) string {
		return "tinit: no copy of " + stream + " can be made (--" + stream + "-file): with --no-drain the child writes to tinit's " + stream + " itself\n"
	}
	tty := func(stream string) string {
		return "tinit: no copy of " + stream + " can be made (--" + stream + "-file): tinit's " + stream + " is a terminal, which the child gets itself\n"
	}
	cases := []struct {
		name      string
		args      []string // before --stdout-file / --stderr-file
		stream    string   // the stream that gets a copy file
		ttyStream string   // "stdout" or "stderr": which of tinit's fds is the pty; "" for none
		want      string   // tinit's whole stderr
	}{
		{"no-drain stdout", []string{"--no-drain"}, "stdout", "", noDrain("stdout")},
		{"no-drain stderr", []string{"--no-drain"}, "stderr", "", noDrain("stderr")},
		{"tty stdout", nil, "stdout", "stdout", tty("stdout")},
		{"tty stderr", nil, "stderr", "stderr", tty("stderr")},
	}
	forCoreModes(t, func(t *testing.T, m coreMode) {
		for _, c := range cases {
			dir := t.TempDir()
			copyPath, ran := filepath.Join(dir, "copy"), filepath.Join(dir, "ran")
			args := append(append([]string{}, c.args...), "--"+c.stream+"-file", copyPath, "--", "sh", "-c", "touch \"$1\"; echo x; echo y >&2", "sh", ran)
			r, ttyOut := runWithTty(t, c.ttyStream, m.argv(t, args...))
			got := r.Stderr
			if c.ttyStream == "stderr" {
				got = string(bytes.ReplaceAll(ttyOut, []byte("\r\n"), []byte("\n")))
			}
			if r.Code != 125 || got != c.want {
				t.Errorf("%s: code %d stderr %q, want 125 and %q", c.name, r.Code, got, c.want)
			}
			if fileExists(copyPath) || fileExists(ran) {
				t.Errorf("%s: copy file made %v, command ran %v; want neither", c.name, fileExists(copyPath), fileExists(ran))
			}
		}
		// Both asked for, stderr a terminal: refused before the stdout
		// copy, which could be made, is created.
		dir := t.TempDir()
		outCopy, errCopy := filepath.Join(dir, "out"), filepath.Join(dir, "err")
		r, ttyOut := runWithTty(t, "stderr", m.argv(t, "--stdout-file", outCopy, "--stderr-file", errCopy, "--", "true"))
		if got := string(bytes.ReplaceAll(ttyOut, []byte("\r\n"), []byte("\n"))); r.Code != 125 || got != tty("stderr") {
			t.Errorf("tty stderr, both copies: code %d stderr %q, want 125 and %q", r.Code, got, tty("stderr"))
		}
		if fileExists(outCopy) || fileExists(errCopy) {
			t.Errorf("tty stderr, both copies: stdout copy made %v, stderr copy made %v; want neither", fileExists(outCopy), fileExists(errCopy))
		}
		// The stream that is drained keeps its copy beside a terminal.
		dir = t.TempDir()
		copyPath := filepath.Join(dir, "copy")
		r, _ = runWithTty(t, "stdout", m.argv(t, "--stderr-file", copyPath, "--", "sh", "-c", "echo x; echo y >&2; exit 3"))
		if r.Code != 3 || r.Stderr != "y\n" || readString(copyPath) != "y\n" {
			t.Errorf("tty stdout, --stderr-file: code %d stderr %q copy %q, want 3, y and y", r.Code, r.Stderr, readString(copyPath))
		}
	})
}

// runWithTty runs argv with one of its stdout and stderr ("stdout",
// "stderr", or "" for neither) on a new pseudo-terminal, and returns what
// reached the terminal.
func runWithTty(t *testing.T, which string, argv []string) (result, []byte) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	if which == "" {
		return runCmd(t, 20*time.Second, cmd), nil
	}
	master, slave := openPty(t)
	if which == "stdout" {
		cmd.Stdout = slave
	} else {
		cmd.Stderr = slave
	}
	r := runCmd(t, 20*time.Second, cmd)
	slave.Close()
	var got bytes.Buffer
	buf := make([]byte, 4096)
	_ = master.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		n, err := master.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			break // EIO once the last slave is closed and all is read
		}
	}
	return r, got.Bytes()
}
