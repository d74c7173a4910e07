package integration

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// statusReport is the --report object with the fields these tests check.
type statusReport struct {
	Command       []string  `json:"command"`
	CommandBase64 []*string `json:"command_base64"`
	ExitStatus    int       `json:"exit_status"`
	Error         *string   `json:"error"`
	MainChild     *struct {
		PID      int  `json:"pid"`
		ExitCode *int `json:"exit_code"`
	} `json:"main_child"`
	MainMs  *int64            `json:"main_ms"`
	DrainMs *int64            `json:"drain_ms"`
	TotalMs *int64            `json:"total_ms"`
	Leaked  []json.RawMessage `json:"leaked"`
}

func decodeStatusReport(t *testing.T, b []byte) statusReport {
	t.Helper()
	var r statusReport
	if err := json.Unmarshal(b, &r); err != nil || !bytes.HasSuffix(b, []byte("}\n")) || bytes.Count(b, []byte("\n")) != 1 {
		t.Fatalf("report is not one JSON line: %v\n%q", err, b)
	}
	return r
}

// TestStatusReportRelativePath: a relative --report lands in the caller's
// working directory, which tinit has left by the time it writes.
func TestStatusReportRelativePath(t *testing.T) {
	forCoreModes(t, func(t *testing.T, m coreMode) {
		dir := t.TempDir()
		argv := m.argv(t, "--report", "rel-report.json", "sh", "-c", "exit 4")
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir = dir
		r := runCmd(t, 20*time.Second, cmd)
		if r.Code != 4 || r.Stderr != "" {
			t.Fatalf("code %d stderr %q", r.Code, r.Stderr)
		}
		if fileExists("/rel-report.json") {
			os.Remove("/rel-report.json")
			t.Errorf("the report went to /")
		}
		b, err := os.ReadFile(filepath.Join(dir, "rel-report.json"))
		if err != nil {
			t.Fatal(err)
		}
		rep := decodeStatusReport(t, b)
		if rep.ExitStatus != 4 || rep.Error != nil || rep.MainChild == nil || rep.MainChild.ExitCode == nil || *rep.MainChild.ExitCode != 4 {
			t.Errorf("report %s", b)
		}
	})
}

// TestStatusReportTargets: a symlink stays a symlink and its target is
// replaced in its own directory, keeping its mode; a FIFO and a pipe on
// /dev/fd/3 get the report written into them; /dev/stdout is tinit's
// stdout, after everything the child wrote.
func TestStatusReportTargets(t *testing.T) {
	forCoreModes(t, func(t *testing.T, m coreMode) {
		dir := t.TempDir()
		other := t.TempDir()
		real := filepath.Join(other, "real.json")
		if err := os.WriteFile(real, []byte("stale"), 0o600); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(dir, "link.json")
		if err := os.Symlink(real, link); err != nil {
			t.Fatal(err)
		}
		r := run(t, 20*time.Second, m.argv(t, "--report", link, "true")...)
		if r.Code != 0 {
			t.Fatalf("symlink: code %d stderr %q", r.Code, r.Stderr)
		}
		if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
			t.Errorf("the symlink was replaced: %v %v", st.Mode(), err)
		}
		if st, err := os.Stat(real); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("target mode %v (%v), want 0600", st.Mode(), err)
		}
		decodeStatusReport(t, []byte(readString(real)))
		if ents, _ := os.ReadDir(other); len(ents) != 1 {
			t.Errorf("left beside the target: %v", ents)
		}

		fifo := filepath.Join(dir, "fifo")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		got := make(chan []byte, 1)
		go func() {
			f, err := os.Open(fifo)
			if err != nil {
				got <- nil
				return
			}
			b, _ := io.ReadAll(f)
			f.Close()
			got <- b
		}()
		r = run(t, 20*time.Second, m.argv(t, "--report", fifo, "sh", "-c", "exit 6")...)
		b := <-got
		if r.Code != 6 || r.Stderr != "" {
			t.Fatalf("fifo: code %d stderr %q", r.Code, r.Stderr)
		}
		if rep := decodeStatusReport(t, b); rep.ExitStatus != 6 {
			t.Errorf("fifo report %s", b)
		}
		if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
			t.Errorf("the FIFO was replaced: %v %v", st.Mode(), err)
		}

		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		argv := m.argv(t, "--report", "/dev/fd/3", "sh", "-c", "exit 7 3>&-")
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.ExtraFiles = []*os.File{pw}
		done := make(chan []byte, 1)
		go func() { b, _ := io.ReadAll(pr); done <- b }()
		r = runCmd(t, 20*time.Second, cmd)
		pw.Close()
		b = <-done
		pr.Close()
		if r.Code != 7 || r.Stderr != "" {
			t.Fatalf("/dev/fd/3: code %d stderr %q", r.Code, r.Stderr)
		}
		if rep := decodeStatusReport(t, b); rep.ExitStatus != 7 {
			t.Errorf("/dev/fd/3 report %s", b)
		}

		r = run(t, 20*time.Second, m.argv(t, "--report", "/dev/stdout", "sh", "-c", "echo out; exit 8")...)
		if r.Code != 8 || r.Stderr != "" || len(r.Stdout) < 5 || r.Stdout[:4] != "out\n" {
			t.Fatalf("/dev/stdout: code %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
		}
		if rep := decodeStatusReport(t, []byte(r.Stdout[4:])); rep.ExitStatus != 8 {
			t.Errorf("/dev/stdout report %q", r.Stdout)
		}

		// tinit's stdout a file the child writes too: the report comes
		// after the child's output, which stays; so through a symlink.
		out := filepath.Join(dir, "out")
		toStdout := filepath.Join(dir, "to-stdout")
		if err := os.Symlink("/dev/stdout", toStdout); err != nil {
			t.Fatal(err)
		}
		for _, target := range []string{"/dev/stdout", "/dev/fd/1", toStdout} {
			r = run(t, 20*time.Second, append([]string{"sh", "-c", `out=$1; shift; exec "$@" >"$out"`, "sh", out},
				m.argv(t, "--report", target, "sh", "-c", "echo out; exit 9")...)...)
			got := readString(out)
			if r.Code != 9 || r.Stderr != "" || len(got) < 5 || got[:4] != "out\n" {
				t.Fatalf("%s into a file: code %d stderr %q file %q", target, r.Code, r.Stderr, got)
			}
			if rep := decodeStatusReport(t, []byte(got[4:])); rep.ExitStatus != 9 {
				t.Errorf("%s into a file: %q", target, got)
			}
		}
	})
}

// TestStatusReportOnErrors: a run that ends with 125, 126 or 127 writes a
// report with the error in it, replacing a stale one.
func TestStatusReportOnErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"tinit-no-such-command", "a"}, 127, "cannot run tinit-no-such-command: command not found"},
		{[]string{"--", ""}, 127, `cannot run "": command not found`},
		{[]string{dir}, 126, "cannot run " + dir + ": is a directory"},
		{[]string{"--stdout-file", dir + "/no/such/dir", "true"}, 125, ""},
		{[]string{"--grace", "soon", "true"}, 125, `--grace: "soon" is not a duration such as 500ms or 5s (see tinit --help)`},
		{nil, 125, "no command given (see tinit --help)"},
	}
	forCoreModes(t, func(t *testing.T, m coreMode) {
		for _, c := range cases {
			path := filepath.Join(dir, "r.json")
			if err := os.WriteFile(path, []byte("stale\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			r := run(t, 20*time.Second, m.argv(t, append([]string{"--report", path}, c.args...)...)...)
			b, _ := os.ReadFile(path)
			if r.Code != c.code {
				t.Errorf("%q: code %d stderr %q, want %d", c.args, r.Code, r.Stderr, c.code)
				continue
			}
			rep := decodeStatusReport(t, b)
			want := c.msg
			if want == "" && len(r.Stderr) > 8 {
				want = r.Stderr[len("tinit: ") : len(r.Stderr)-1]
			}
			if r.Stderr != "tinit: "+want+"\n" || rep.ExitStatus != c.code || rep.Error == nil || *rep.Error != want ||
				rep.MainChild != nil || rep.MainMs != nil || rep.DrainMs != nil || rep.TotalMs == nil || rep.Leaked == nil || len(rep.Leaked) != 0 {
				t.Errorf("%q: stderr %q report %s", c.args, r.Stderr, b)
			}
		}
	})
}

// TestStatusReportExactBytes: words that are not UTF-8 keep their exact
// bytes in command_base64; every other word is exact in command.
func TestStatusReportExactBytes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	words := []string{"sh", "-c", "exit 0", "\xff\xfe bad", "good \u00e9 \u2028 \x01", "a\x80"}
	r := plain(t, 20*time.Second, append([]string{"--report", path}, words...)...)
	if r.Code != 0 {
		t.Fatalf("code %d stderr %q", r.Code, r.Stderr)
	}
	b, _ := os.ReadFile(path)
	rep := decodeStatusReport(t, b)
	if len(rep.Command) != len(words) || len(rep.CommandBase64) != len(words) {
		t.Fatalf("report %s", b)
	}
	for i, w := range words {
		exact := rep.Command[i]
		if e := rep.CommandBase64[i]; e != nil {
			d, err := base64.StdEncoding.DecodeString(*e)
			if err != nil {
				t.Fatal(err)
			}
			exact = string(d)
		}
		if exact != w {
			t.Errorf("word %d: %q, want %q (report %s)", i, exact, w, b)
		}
	}
	if rep.CommandBase64[0] != nil || rep.CommandBase64[4] != nil || rep.CommandBase64[3] == nil {
		t.Errorf("base64 only for the words that are not UTF-8: %s", b)
	}
}

// TestStatusReportNoWorkingDirectory: a relative --report with the working
// directory gone has nowhere to go: 125 and one line, before the command
// runs.
func TestStatusReportNoWorkingDirectory(t *testing.T) {
	dir := t.TempDir()
	r := run(t, 20*time.Second, "sh", "-c", `mkdir "$1/gone" && cd "$1/gone" && rmdir "$1/gone" && exec "$2" --report r.json -- touch "$1/ran"`, "sh", dir, tinitBin)
	if r.Code != 125 || r.Stderr != "tinit: --report r.json: getwd: no such file or directory\n" || fileExists(dir+"/ran") {
		t.Errorf("code %d stderr %q, ran %v", r.Code, r.Stderr, fileExists(dir+"/ran"))
	}
}

// /dev/fd/N names a caller's fd only if the caller passed one there: the
// fds tinit opened itself (its pipes, its state memfd, the runtime's
// poller) are no place for a report, and naming one is the same "bad file
// descriptor" as naming a closed fd, never a report written where nobody
// will find it.
func TestStatusReportNotIntoTinitsOwnFds(t *testing.T) {
	forCoreModes(t, func(t *testing.T, m coreMode) {
		for fd := 3; fd <= 20; fd++ {
			path := "/dev/fd/" + strconv.Itoa(fd)
			r := run(t, 20*time.Second, m.argv(t, "--report", path, "--", "true")...)
			want := "tinit: writing the report: write " + path + ": bad file descriptor\n"
			if r.Code != 0 || r.Stderr != want {
				t.Errorf("%s: code %d stderr %q, want 0 and %q", path, r.Code, r.Stderr, want)
			}
		}
	})
}

// A report that cannot be written after a run that failed to start is one
// more line, and the failure's own status: never a crash. Both the options
// tinit refuses (125) and a command it cannot run (127) write it.
func TestStatusReportUnwritableOnErrors(t *testing.T) {
	path := t.TempDir() + "/missing/r.json"
	lost := "tinit: writing the report: create " + path + ": no such file or directory\n"
	r := run(t, 20*time.Second, tinitBin, "--report", path, "--bogus", "true")
	if want := "tinit: unknown option --bogus (see tinit --help)\n" + lost; r.Code != 125 || r.Stderr != want {
		t.Errorf("refused option: code %d stderr %q, want 125 and %q", r.Code, r.Stderr, want)
	}
	forCoreModes(t, func(t *testing.T, m coreMode) {
		r := run(t, 20*time.Second, m.argv(t, "--report", path, "--", "/nonexistent-command")...)
		if want := "tinit: cannot run /nonexistent-command: no such file or directory\n" + lost; r.Code != 127 || r.Stderr != want {
			t.Errorf("missing command: code %d stderr %q, want 127 and %q", r.Code, r.Stderr, want)
		}
	})
}
