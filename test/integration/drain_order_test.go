package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// drainDest is where a run sends tinit's stdout and stderr, both to one
// place, as `2>&1` does.
type drainDest struct {
	name  string
	flags int // for a file; 0 for a pipe
}

var drainDests = []drainDest{
	{"pipe", 0},
	{"file", os.O_WRONLY | os.O_CREATE | os.O_TRUNC},
	{"append", os.O_WRONLY | os.O_CREATE | os.O_APPEND},
}

// drainRunMerged runs argv with stdout and stderr on one destination and
// returns what arrived there.
func drainRunMerged(argv []string, env []string, d drainDest, dir string) ([]byte, int, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var read func() ([]byte, error)
	if d.flags == 0 {
		pr, pw, err := os.Pipe()
		if err != nil {
			return nil, 0, err
		}
		defer pr.Close()
		cmd.Stdout, cmd.Stderr = pw, pw
		got := make(chan []byte, 1)
		go func() { b, _ := io.ReadAll(pr); got <- b }()
		read = func() ([]byte, error) { return <-got, nil }
		defer pw.Close()
		if err := cmd.Start(); err != nil {
			return nil, 0, err
		}
		pw.Close()
	} else {
		path := filepath.Join(dir, "out")
		if d.flags&os.O_APPEND != 0 {
			if err := os.WriteFile(path, []byte("head\n"), 0o644); err != nil {
				return nil, 0, err
			}
		}
		f, err := os.OpenFile(path, d.flags, 0o644)
		if err != nil {
			return nil, 0, err
		}
		defer f.Close()
		cmd.Stdout, cmd.Stderr = f, f
		read = func() ([]byte, error) { return os.ReadFile(path) }
		if err := cmd.Start(); err != nil {
			return nil, 0, err
		}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		killTree(cmd.Process.Pid)
		<-done
		return nil, 0, fmt.Errorf("%q did not finish within 60 s", argv)
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = exitCodeOf(ee.Sys().(syscall.WaitStatus))
	}
	b, rerr := read()
	return b, code, rerr
}

// A child alternating 2,000 writes between stdout and stderr, with tinit's
// stdout and stderr on one pipe, one `>` file or one `>>` file: every run
// is byte-identical to the same child run without tinit.
func TestDrainOrderAcrossStreams(t *testing.T) {
	env := []string{"HOSTILE_MODE=lines", "HOSTILE_N=1000", "HOSTILE_LEN=16"}
	forCoreModes(t, func(t *testing.T, m coreMode) {
		for _, d := range drainDests {
			t.Run(d.name, func(t *testing.T) {
				want, _, err := drainRunMerged([]string{hostile(t)}, env, d, t.TempDir())
				if err != nil {
					t.Fatal(err)
				}
				if n := bytes.Count(want, []byte("\n")); n < 2000 {
					t.Fatalf("without tinit: %d lines", n)
				}
				fails := make([]string, 20)
				dirs := make([]string, len(fails))
				for i := range dirs {
					dirs[i] = t.TempDir()
				}
				parallelRuns(len(fails), func(i int) {
					got, code, err := drainRunMerged(m.argv(t, "--", hostile(t)), env, d, dirs[i])
					switch {
					case err != nil:
						fails[i] = err.Error()
					case code != 0 || !bytes.Equal(got, want):
						fails[i] = fmt.Sprintf("code %d, %d bytes, want %d; first difference at %d: %q", code, len(got), len(want),
							firstDiff(got, want), got[max(0, firstDiff(got, want)-20):min(len(got), firstDiff(got, want)+40)])
					}
				})
				for i, f := range fails {
					if f != "" {
						t.Errorf("run %d: %s", i, f)
					}
				}
			})
		}
	})
}

// drainTornLines says what is wrong with the lines of b, each of which must
// be one whole line of the hostile helper's lines mode, of size bytes.
func drainTornLines(b []byte, size int) string {
	text := strings.TrimPrefix(string(b), "head\n")
	if !strings.HasSuffix(text, "\n") {
		return "no newline at the end"
	}
	for i, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if len(l) != size-1 || (l[0] != 'o' && l[0] != 'e') || strings.Trim(l[9:], "x") != "" {
			return fmt.Sprintf("line %d is torn: %d bytes %q…", i, len(l), l[:min(len(l), 40)])
		}
	}
	return ""
}

// Lines of 4,000 bytes (not a divisor of any buffer size) from both streams into one file (`>log 2>&1`), with no copy
// file and with a copy file for each stream, so tinit needs two pipes: no
// line is torn, in 30 runs each, and each copy holds its stream's lines
// whole and in order.
func TestDrainNoTornLines(t *testing.T) {
	const size = 4000
	env := []string{"HOSTILE_MODE=lines", "HOSTILE_N=300", "HOSTILE_LEN=" + fmt.Sprint(size)}
	forCoreModes(t, func(t *testing.T, m coreMode) {
		for _, copies := range []bool{false, true} {
			t.Run(map[bool]string{false: "one pipe", true: "copy files"}[copies], func(t *testing.T) {
				fails := make([]string, 30)
				dirs := make([]string, len(fails))
				for i := range dirs {
					dirs[i] = t.TempDir()
				}
				parallelRuns(len(fails), func(i int) {
					var args []string
					if copies {
						args = append(args, "--stdout-file", filepath.Join(dirs[i], "o"), "--stderr-file", filepath.Join(dirs[i], "e"))
					}
					args = append(args, "--", hostile(t))
					got, code, err := drainRunMerged(m.argv(t, args...), env, drainDests[1], dirs[i])
					if err != nil {
						fails[i] = err.Error()
						return
					}
					if code != 0 || len(got) != 600*size {
						fails[i] = fmt.Sprintf("code %d, %d bytes, want %d", code, len(got), 600*size)
						return
					}
					if why := drainTornLines(got, size); why != "" {
						fails[i] = why
						return
					}
					if !copies {
						return
					}
					for _, tag := range []byte{'o', 'e'} {
						c, _ := os.ReadFile(filepath.Join(dirs[i], string(tag)))
						var want bytes.Buffer
						for _, l := range bytes.SplitAfter(got, []byte("\n")) {
							if len(l) > 0 && l[0] == tag {
								want.Write(l)
							}
						}
						if !bytes.Equal(c, want.Bytes()) || want.Len() != 300*size {
							fails[i] = fmt.Sprintf("copy %c: %d bytes, want its %d", tag, len(c), want.Len())
						}
					}
				})
				for i, f := range fails {
					if f != "" {
						t.Errorf("run %d: %s", i, f)
					}
				}
			})
		}
	})
}

// With tinit's stdout and stderr on one pipe, the child's one pipe is named
// stdout+stderr by tinit ps, in the leak report on stderr and in --report.
func TestDrainMergedStreamNamed(t *testing.T) {
	rep := filepath.Join(t.TempDir(), "report.json")
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	mark := newMark(t)
	cmd := exec.Command(tinitBin, "--grace", "60s", "--kill-after", "1s", "--report", rep, "--",
		"bash", "-c", `(exec -a "$0" sleep 1000) & echo ready; exit 2`, mark)
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	t.Cleanup(func() { killTree(cmd.Process.Pid); killMarked(mark) })
	var out lockedBuffer
	copied := make(chan struct{})
	go func() { _, _ = io.Copy(&out, pr); close(copied) }()
	waitFor(t, 20*time.Second, "ready", func() bool { return strings.Contains(out.String(), "ready\n") })
	var v psJSON
	waitFor(t, 20*time.Second, "tinit ps to show the leak", func() bool {
		r := run(t, 20*time.Second, tinitBin, "ps", "--json", fmt.Sprint(cmd.Process.Pid))
		return r.Code == 0 && json.Unmarshal([]byte(r.Stdout), &v) == nil && len(v.Streams) == 1 && len(v.Streams[0].Holders) > 0
	})
	if v.Streams[0].Name != "stdout+stderr" {
		t.Errorf("tinit ps names the stream %q, want stdout+stderr", v.Streams[0].Name)
	}
	_ = syscall.Kill(cmd.Process.Pid, syscall.SIGTERM)
	if err := cmd.Wait(); err == nil || exitCodeOf(cmd.ProcessState.Sys().(syscall.WaitStatus)) != 2 {
		t.Fatalf("tinit: %v, want exit 2\n%s", err, out.String())
	}
	<-copied
	if !strings.Contains(out.String(), "holds stdout+stderr (fd 1), holds stdout+stderr (fd 2)") {
		t.Errorf("the leak report does not name the stream stdout+stderr:\n%s", out.String())
	}
	rp := drainReadReport(t, rep)
	if l := rp.leakedBy(mark + " 1000"); l == nil || len(l.Holds) != 2 || l.Holds[0].Stream != "stdout+stderr" {
		t.Errorf("--report: %+v, want the leak holding stdout+stderr on fds 1 and 2", rp.Leaked)
	}
}

// With two pipes into one destination (a copy file per stream), a partial
// line waits for its newline only briefly: a prompt with no newline
// appears long before the child writes more.
func TestDrainPartialLineNotHeldBack(t *testing.T) {
	dir := t.TempDir()
	forCoreModes(t, func(t *testing.T, m coreMode) {
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer pr.Close()
		argv := m.argv(t, "--stdout-file", filepath.Join(dir, m.name+".o"), "--stderr-file", filepath.Join(dir, m.name+".e"), "--",
			"sh", "-c", `printf 'prompt> '; printf 'err> ' >&2; sleep 3; echo done`)
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stdout, cmd.Stderr = pw, pw
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		pw.Close()
		t.Cleanup(func() { killTree(cmd.Process.Pid) })
		var out lockedBuffer
		copied := make(chan struct{})
		go func() { _, _ = io.Copy(&out, pr); close(copied) }()
		start := time.Now()
		waitFor(t, 2*time.Second, "both prompts", func() bool {
			return strings.Contains(out.String(), "prompt> ") && strings.Contains(out.String(), "err> ")
		})
		if took := time.Since(start); took > time.Second {
			t.Errorf("the prompts took %v to appear", took)
		}
		if err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
		<-copied
		if got := out.String(); got != "prompt> err> done\n" && got != "err> prompt> done\n" {
			t.Errorf("output %q", got)
		}
	})
}
