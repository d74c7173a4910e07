package main

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"tinit/internal/subreaper"
)

// envOf is a getenv over a fixed map, so no test depends on the caller's
// environment.
func envOf(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func mustParse(t *testing.T, getenv func(string) string, args ...string) subreaper.Config {
	t.Helper()
	cfg, act, err := parse(args, getenv)
	if err != nil {
		t.Fatalf("parse(%q): %v", args, err)
	}
	if act != actRun {
		t.Fatalf("parse(%q): action %d, want run", args, act)
	}
	return cfg
}

func remapped(cfg subreaper.Config) []int {
	var codes []int
	for c, on := range cfg.RemapExit {
		if on {
			codes = append(codes, c)
		}
	}
	return codes
}

func TestCoreParseDefaults(t *testing.T) {
	cfg := mustParse(t, envOf(), "true")
	want := subreaper.Config{Argv: []string{"true"}, KillAfter: 5 * time.Second, Grace: 2 * time.Second}
	if !configEqual(cfg, want) {
		t.Fatalf("got %+v, want %+v", cfg, want)
	}
}

func configEqual(a, b subreaper.Config) bool {
	return slices.Equal(a.Argv, b.Argv) && a.Pgroup == b.Pgroup && a.Pdeathsig == b.Pdeathsig &&
		a.RemapExit == b.RemapExit && a.Verbosity == b.Verbosity && a.WarnOnReap == b.WarnOnReap &&
		a.KillAfter == b.KillAfter && a.Grace == b.Grace && a.Report == b.Report &&
		a.Drain.Disabled == b.Drain.Disabled && a.Drain.StdoutFile == b.Drain.StdoutFile &&
		a.Drain.StderrFile == b.Drain.StderrFile
}

// TestCoreParseEveryOption sets every option once by its short form (where
// it has one) and once by its long form, with the value attached or not.
func TestCoreParseEveryOption(t *testing.T) {
	full := func() subreaper.Config {
		c := subreaper.Config{
			Argv: []string{"cmd", "arg"}, Pgroup: true, Pdeathsig: unix.SIGKILL, Verbosity: 1,
			WarnOnReap: true, KillAfter: 3 * time.Second, Grace: 500 * time.Millisecond, Report: "r.json",
		}
		c.RemapExit[3], c.RemapExit[255] = true, true
		c.Drain.Disabled, c.Drain.StdoutFile, c.Drain.StderrFile = true, "o.log", "e.log"
		return c
	}()
	for _, args := range [][]string{
		{"-s", "-g", "-p", "KILL", "-e", "3", "-e", "255", "-v", "-w", "--kill-after", "3s", "--grace", "500ms",
			"--no-drain", "--stdout-file", "o.log", "--stderr-file", "e.log", "--report", "r.json", "cmd", "arg"},
		{"--subreaper", "--pgroup", "--pdeathsig", "SIGKILL", "--remap-exit", "3", "--remap-exit", "255",
			"--verbose", "--warn-on-reap", "--kill-after=3s", "--grace=500ms", "--no-drain",
			"--stdout-file=o.log", "--stderr-file=e.log", "--report=r.json", "--", "cmd", "arg"},
		{"-sgp9", "-e3", "-we255", "-v", "--pdeathsig=kill", "--remap-exit=3", "--kill-after", "3s",
			"--grace", "500ms", "--no-drain", "--stdout-file", "o.log", "--stderr-file", "e.log",
			"--report", "r.json", "cmd", "arg"},
	} {
		if got := mustParse(t, envOf(), args...); !configEqual(got, full) {
			t.Errorf("parse(%q) =\n%+v, want\n%+v", args, got, full)
		}
	}
}

func TestCoreParseCombinedShort(t *testing.T) {
	cfg := mustParse(t, envOf(), "-vvw", "-e3", "-ge", "7", "x")
	if cfg.Verbosity != 2 || !cfg.WarnOnReap || !cfg.Pgroup || !slices.Equal(remapped(cfg), []int{3, 7}) ||
		!slices.Equal(cfg.Argv, []string{"x"}) {
		t.Fatalf("got %+v", cfg)
	}
	if cfg := mustParse(t, envOf(), "-vvv", "x"); cfg.Verbosity != 3 {
		t.Fatalf("-vvv: verbosity %d", cfg.Verbosity)
	}
	// The value of an option ends the word: "-e3v" is code "3v", not -e3 -v.
	if _, _, err := parse([]string{"-e3v", "x"}, envOf()); !isUsage(err) {
		t.Fatalf("-e3v: %v, want a usage error", err)
	}
}

func TestCoreParseStopsAtCommand(t *testing.T) {
	for _, c := range []struct {
		args []string
		argv []string
	}{
		{[]string{"sh", "-c", "exit 3"}, []string{"sh", "-c", "exit 3"}},
		{[]string{"-v", "sh", "-c", "exit 3"}, []string{"sh", "-c", "exit 3"}},
		{[]string{"--", "sh", "-c", "exit 3"}, []string{"sh", "-c", "exit 3"}},
		{[]string{"--", "-v"}, []string{"-v"}},
		{[]string{"--", "--", "true"}, []string{"--", "true"}},
		{[]string{"-v", "--", "--help"}, []string{"--help"}},
		{[]string{"-", "x"}, []string{"-", "x"}},
		{[]string{"true", "--", "-v"}, []string{"true", "--", "-v"}},
	} {
		cfg, act, err := parse(c.args, envOf())
		if err != nil || act != actRun || !slices.Equal(cfg.Argv, c.argv) {
			t.Errorf("parse(%q) = argv %q act %d err %v, want argv %q", c.args, cfg.Argv, act, err, c.argv)
		}
	}
	if cfg := mustParse(t, envOf(), "sh", "-v"); cfg.Verbosity != 0 {
		t.Fatalf("an option after the command was taken by tinit")
	}
}

func TestCoreParseHelpVersion(t *testing.T) {
	for _, c := range []struct {
		args []string
		act  action
	}{
		{[]string{"-h"}, actHelp},
		{[]string{"--help"}, actHelp},
		{[]string{"-vh"}, actHelp},
		{[]string{"-h", "--bogus"}, actHelp},
		{[]string{"--version"}, actVersion},
		{[]string{"-v", "--version", "x"}, actVersion},
	} {
		if _, act, err := parse(c.args, envOf()); err != nil || act != c.act {
			t.Errorf("parse(%q) = act %d err %v, want act %d", c.args, act, err, c.act)
		}
	}
}

func TestCoreParseEnv(t *testing.T) {
	cfg := mustParse(t, envOf(
		"TINIT_SUBREAPER", "1", "TINIT_PGROUP", "yes", "TINIT_PDEATHSIG", "15",
		"TINIT_REMAP_EXIT", "1, 2,143", "TINIT_VERBOSITY", "3", "TINIT_WARN_ON_REAP", "On",
		"TINIT_KILL_AFTER", "1m", "TINIT_GRACE", "0s", "TINIT_NO_DRAIN", "TRUE",
		"TINIT_STDOUT_FILE", "/o", "TINIT_STDERR_FILE", "/e", "TINIT_REPORT", "/r",
	), "cmd")
	want := subreaper.Config{
		Argv: []string{"cmd"}, Pgroup: true, Pdeathsig: unix.SIGTERM, Verbosity: 3, WarnOnReap: true,
		KillAfter: time.Minute, Grace: 0, Report: "/r",
	}
	want.RemapExit[1], want.RemapExit[2], want.RemapExit[143] = true, true, true
	want.Drain.Disabled, want.Drain.StdoutFile, want.Drain.StderrFile = true, "/o", "/e"
	if !configEqual(cfg, want) {
		t.Fatalf("got %+v,\nwant %+v", cfg, want)
	}
	for _, off := range []string{"0", "false", "no", "off", "OFF"} {
		cfg := mustParse(t, envOf("TINIT_PGROUP", off, "TINIT_WARN_ON_REAP", off, "TINIT_NO_DRAIN", off), "x")
		if cfg.Pgroup || cfg.WarnOnReap || cfg.Drain.Disabled {
			t.Errorf("%q turned an option on: %+v", off, cfg)
		}
	}
}

func TestCoreParseFlagsWinOverEnv(t *testing.T) {
	env := envOf("TINIT_PDEATHSIG", "HUP", "TINIT_REMAP_EXIT", "9", "TINIT_VERBOSITY", "5",
		"TINIT_KILL_AFTER", "1m", "TINIT_GRACE", "1m", "TINIT_STDOUT_FILE", "/env-o",
		"TINIT_STDERR_FILE", "/env-e", "TINIT_REPORT", "/env-r")
	cfg := mustParse(t, env, "-p", "USR1", "-e", "4", "-v", "--kill-after", "1s", "--grace", "2s",
		"--stdout-file", "/o", "--stderr-file", "/e", "--report", "/r", "x")
	if cfg.Pdeathsig != unix.SIGUSR1 || !slices.Equal(remapped(cfg), []int{4}) || cfg.Verbosity != 1 ||
		cfg.KillAfter != time.Second || cfg.Grace != 2*time.Second || cfg.Drain.StdoutFile != "/o" ||
		cfg.Drain.StderrFile != "/e" || cfg.Report != "/r" {
		t.Fatalf("the environment beat a flag: %+v", cfg)
	}
	// A flag that is set wins even over a bad environment value.
	bad := envOf("TINIT_VERBOSITY", "lots", "TINIT_REMAP_EXIT", "x", "TINIT_PGROUP", "maybe")
	if _, _, err := parse([]string{"-v", "-e1", "-g", "x"}, bad); err != nil {
		t.Fatalf("a bad variable overridden by its flag still failed: %v", err)
	}
}

func isUsage(err error) bool {
	var ue *usageError
	return errors.As(err, &ue)
}

func TestCoreParseErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  []string
		msg  string
	}{
		{nil, nil, "no command given"},
		{[]string{"-v"}, nil, "no command given"},
		{[]string{"--"}, nil, "no command given"},
		{[]string{"-x", "true"}, nil, "unknown option -x"},
		{[]string{"-vx", "true"}, nil, "unknown option -x"},
		{[]string{"--bogus", "true"}, nil, "unknown option --bogus"},
		{[]string{"--bogus=1", "true"}, nil, "unknown option --bogus"},
		{[]string{"--a\nb", "x"}, nil, `unknown option "--a\nb"`},
		{[]string{"-v\xff", "x"}, nil, `unknown option "-\xff"`},
		{[]string{"-e"}, nil, "option -e needs a value"},
		{[]string{"--remap-exit"}, nil, "option --remap-exit needs a value"},
		{[]string{"-e", "256", "x"}, nil, `-e: exit code "256" is not a number from 0 to 255`},
		{[]string{"-e-1", "x"}, nil, `-e: exit code "-1" is not a number from 0 to 255`},
		{[]string{"--remap-exit=", "x"}, nil, `--remap-exit: exit code "" is not a number from 0 to 255`},
		{[]string{"-p", "0", "x"}, nil, "-p: signal number 0 is out of range 1-64"},
		{[]string{"-p", "65", "x"}, nil, "-p: signal number 65 is out of range 1-64"},
		{[]string{"-p", "NOPE", "x"}, nil, `-p: unknown signal "NOPE"`},
		{[]string{"--kill-after", "5", "x"}, nil, `--kill-after: "5" is not a duration such as 500ms or 5s`},
		{[]string{"--grace=-1s", "x"}, nil, `--grace: "-1s" is not a duration such as 500ms or 5s`},
		{[]string{"--report=", "x"}, nil, "--report: empty path"},
		{[]string{"--stdout-file", "", "x"}, nil, "--stdout-file: empty path"},
		{[]string{"--no-drain=1", "x"}, nil, "option --no-drain takes no value"},
		{[]string{"--help=1"}, nil, "option --help takes no value"},
		{[]string{"--version=1"}, nil, "option --version takes no value"},
		{[]string{"x"}, []string{"TINIT_VERBOSITY", "-1"}, `TINIT_VERBOSITY: "-1" is not a number`},
		{[]string{"x"}, []string{"TINIT_VERBOSITY", "v"}, `TINIT_VERBOSITY: "v" is not a number`},
		{[]string{"x"}, []string{"TINIT_REMAP_EXIT", "1,,2"}, `TINIT_REMAP_EXIT: exit code "" is not a number from 0 to 255`},
		{[]string{"x"}, []string{"TINIT_PGROUP", "maybe"}, `TINIT_PGROUP: "maybe" is not one of 1, true, yes, on, 0, false, no, off`},
		{[]string{"x"}, []string{"TINIT_SUBREAPER", "2"}, `TINIT_SUBREAPER: "2" is not one of 1, true, yes, on, 0, false, no, off`},
		{[]string{"x"}, []string{"TINIT_PDEATHSIG", "SIGNOPE"}, `TINIT_PDEATHSIG: unknown signal "SIGNOPE"`},
		{[]string{"x"}, []string{"TINIT_KILL_AFTER", "soon"}, `TINIT_KILL_AFTER: "soon" is not a duration such as 500ms or 5s`},
		{[]string{"x"}, []string{"TINIT_GRACE", "1"}, `TINIT_GRACE: "1" is not a duration such as 500ms or 5s`},
	} {
		_, _, err := parse(c.args, envOf(c.env...))
		if !isUsage(err) || err.Error() != c.msg {
			t.Errorf("parse(%q, env %q) = %v, want usage error %q", c.args, c.env, err, c.msg)
		}
	}
}

func TestCoreParseSignalNames(t *testing.T) {
	for in, want := range map[string]unix.Signal{
		"9": unix.SIGKILL, "KILL": unix.SIGKILL, "SIGKILL": unix.SIGKILL, "kill": unix.SIGKILL,
		"sigterm": unix.SIGTERM, "1": unix.SIGHUP, "64": 64, "USR2": unix.SIGUSR2,
	} {
		if got, err := parseSignal(in); err != nil || got != want {
			t.Errorf("parseSignal(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

func TestCoreUsageNamesEveryVariable(t *testing.T) {
	u := usage()
	for _, o := range options {
		if !strings.Contains(u, o.long) {
			t.Errorf("usage lacks %s", o.long)
		}
		if o.key != "" && !strings.Contains(u, o.key) {
			t.Errorf("usage lacks TINIT_%s", o.key)
		}
	}
}
