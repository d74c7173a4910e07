package integration

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestCoreExitCodesPassThrough: every exit code 0-255 of the child is tinit's
// exit code, in both modes, with nothing printed by tinit.
func TestCoreExitCodesPassThrough(t *testing.T) {
	forCoreModes(t, func(t *testing.T, m coreMode) {
		m.argv(t) // skips here, not in a worker, when there is no pid namespace
		errs := make([]string, 256)
		parallelRuns(256, func(c int) {
			r, err := runQuiet(20*time.Second, m.argv(t, "sh", "-c", "exit "+strconv.Itoa(c)))
			switch {
			case err != nil:
				errs[c] = err.Error()
			case r.Code != c || r.Stdout != "" || r.Stderr != "":
				errs[c] = "code " + strconv.Itoa(r.Code) + " stdout " + strconv.Quote(r.Stdout) + " stderr " + strconv.Quote(r.Stderr)
			}
		})
		for c, e := range errs {
			if e != "" {
				t.Errorf("exit %d: %s", c, e)
			}
		}
	})
}

// TestCoreKilledBySignal: a child that kills itself with signal N makes tinit
// exit 128+N.
func TestCoreKilledBySignal(t *testing.T) {
	sigs := map[string]int{"HUP": 1, "QUIT": 3, "KILL": 9, "USR1": 10, "USR2": 12, "TERM": 15}
	forCoreModes(t, func(t *testing.T, m coreMode) {
		for name, n := range sigs {
			// ulimit keeps SIGQUIT from dumping core into the tree.
			r := run(t, 20*time.Second, m.argv(t, "sh", "-c", "ulimit -c 0; kill -s "+name+" $$")...)
			if r.Code != 128+n || r.Stderr != "" {
				t.Errorf("SIG%s: code %d stderr %q, want %d and no output", name, r.Code, r.Stderr, 128+n)
			}
		}
	})
}

// TestCoreRemapExit: -e CODE turns exactly CODE into 0, for every code, and
// TINIT_REMAP_EXIT does the same.
func TestCoreRemapExit(t *testing.T) {
	m := coreModes[1]
	errs := make([]string, 256)
	parallelRuns(256, func(c int) {
		other := (c + 1) % 256
		args := func(code int) []string {
			return m.argv(t, "-e", strconv.Itoa(c), "-e", strconv.Itoa((c+128)%256), "sh", "-c", "exit "+strconv.Itoa(code))
		}
		r1, err1 := runQuiet(20*time.Second, args(c))
		r2, err2 := runQuiet(20*time.Second, args(other))
		r3, err3 := runQuiet(20*time.Second, m.argv(t, "sh", "-c", "exit "+strconv.Itoa(c)),
			"TINIT_REMAP_EXIT="+strconv.Itoa(c))
		switch {
		case err1 != nil || err2 != nil || err3 != nil:
			errs[c] = "run failed"
		case r1.Code != 0:
			errs[c] = "-e " + strconv.Itoa(c) + " left code " + strconv.Itoa(r1.Code)
		case r2.Code != other:
			errs[c] = "exit " + strconv.Itoa(other) + " became " + strconv.Itoa(r2.Code)
		case r3.Code != 0:
			errs[c] = "TINIT_REMAP_EXIT left code " + strconv.Itoa(r3.Code)
		}
	})
	for c, e := range errs {
		if e != "" {
			t.Errorf("code %d: %s", c, e)
		}
	}
	// As in tini, the remap applies to 128+N as well.
	r := inNS(t, 20*time.Second, "-e", "143", "sh", "-c", "kill $$")
	if r.Code != 0 {
		t.Errorf("-e 143 with a child killed by SIGTERM: code %d, want 0", r.Code)
	}
}

// TestCoreCannotRun: 127 for a command that is not there, 126 for one that
// cannot be executed, each with exactly one line naming it and the reason.
func TestCoreCannotRun(t *testing.T) {
	dir := t.TempDir()
	noexec := filepath.Join(dir, "noexec")
	pathDir := filepath.Join(dir, "bin")
	if err := os.WriteFile(noexec, []byte("#!/bin/sh\nexit 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(pathDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pathDir, "core-noexec-cmd"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		env  []string
		code int
		msg  string
	}{
		{[]string{"tinit-core-no-such-command"}, nil, 127, "cannot run tinit-core-no-such-command: command not found"},
		{[]string{"--", dir + "/missing", "arg"}, nil, 127, "cannot run " + dir + "/missing: no such file or directory"},
		{[]string{noexec}, nil, 126, "cannot run " + noexec + ": permission denied"},
		{[]string{dir}, nil, 126, "cannot run " + dir + ": is a directory"},
		{[]string{"core-noexec-cmd"}, []string{"PATH=" + pathDir}, 126, "cannot run core-noexec-cmd: permission denied"},
	}
	forCoreModes(t, func(t *testing.T, m coreMode) {
		for _, c := range cases {
			r, err := runQuiet(20*time.Second, m.argv(t, c.args...), c.env...)
			if err != nil {
				t.Fatal(err)
			}
			if want := "tinit: " + c.msg + "\n"; r.Code != c.code || r.Stderr != want || r.Stdout != "" {
				t.Errorf("%q: code %d stderr %q, want %d and %q", c.args, r.Code, r.Stderr, c.code, want)
			}
		}
	})
}

// TestCoreChildExits127: a child that exits 127 itself is passed through,
// and tinit adds nothing to what the child printed.
func TestCoreChildExits127(t *testing.T) {
	forCoreModes(t, func(t *testing.T, m coreMode) {
		r := run(t, 20*time.Second, m.argv(t, "sh", "-c", "echo out; echo err >&2; exit 127")...)
		if r.Code != 127 || r.Stdout != "out\n" || r.Stderr != "err\n" {
			t.Errorf("code %d stdout %q stderr %q, want 127 \"out\\n\" \"err\\n\"", r.Code, r.Stdout, r.Stderr)
		}
	})
}

// TestCoreUsageErrors: usage errors exit 125 with one line and the hint,
// and never run the command.
func TestCoreUsageErrors(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	cases := []struct {
		args []string
		env  []string
		msg  string
	}{
		{nil, nil, "no command given"},
		{[]string{"-v", "--"}, nil, "no command given"},
		{[]string{"--bogus", "touch", marker}, nil, "unknown option --bogus"},
		{[]string{"-x", "touch", marker}, nil, "unknown option -x"},
		{[]string{"-e", "256", "touch", marker}, nil, `-e: exit code "256" is not a number from 0 to 255`},
		{[]string{"-p", "NOPE", "touch", marker}, nil, `-p: unknown signal "NOPE"`},
		{[]string{"--kill-after=soon", "touch", marker}, nil, `--kill-after: "soon" is not a duration such as 500ms or 5s`},
		{[]string{"touch", marker}, []string{"TINIT_VERBOSITY=lots"}, `TINIT_VERBOSITY: "lots" is not a number`},
		{[]string{"touch", marker}, []string{"TINIT_PGROUP=maybe"}, `TINIT_PGROUP: "maybe" is not one of 1, true, yes, on, 0, false, no, off`},
	}
	forCoreModes(t, func(t *testing.T, m coreMode) {
		for _, c := range cases {
			r, err := runQuiet(20*time.Second, m.argv(t, c.args...), c.env...)
			if err != nil {
				t.Fatal(err)
			}
			want := "tinit: " + c.msg + " (see tinit --help)\n"
			if r.Code != 125 || r.Stderr != want || r.Stdout != "" {
				t.Errorf("%q %q: code %d stderr %q, want 125 and %q", c.args, c.env, r.Code, r.Stderr, want)
			}
			if fileExists(marker) {
				t.Fatalf("%q ran the command despite the usage error", c.args)
			}
		}
	})
}

// TestCoreHelpVersion: --help and --version print to stdout and exit 0.
func TestCoreHelpVersion(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"-v", "--help", "ignored"}} {
		r := plain(t, 10*time.Second, args...)
		if r.Code != 0 || r.Stderr != "" || !strings.HasPrefix(r.Stdout, "Usage: tinit [OPTIONS] [--] COMMAND [ARG...]\n") {
			t.Errorf("%q: code %d stderr %q stdout %q", args, r.Code, r.Stderr, r.Stdout)
		}
	}
	r := plain(t, 10*time.Second, "--version")
	if !regexp.MustCompile(`^tinit \S+ \(commit \S+\)\n$`).MatchString(r.Stdout) || r.Code != 0 || r.Stderr != "" {
		t.Errorf("--version: code %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
	}
}
