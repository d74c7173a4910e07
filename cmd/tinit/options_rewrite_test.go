package main

import (
	"maps"
	"testing"

	"golang.org/x/sys/unix"
)

type rewrites = map[unix.Signal]unix.Signal

// -r takes dumb-init's S:R: numbers, names with or without SIG in any case,
// R 0 to drop S; repeatable, the last rule for a signal winning, as in
// dumb-init; TINIT_REWRITE holds the same rules comma-separated.
func TestCoreParseRewrite(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  []string
		want rewrites
	}{
		{[]string{"-r", "15:3", "x"}, nil, rewrites{unix.SIGTERM: unix.SIGQUIT}},
		{[]string{"-r15:3", "x"}, nil, rewrites{unix.SIGTERM: unix.SIGQUIT}},
		{[]string{"--rewrite", "TERM:QUIT", "x"}, nil, rewrites{unix.SIGTERM: unix.SIGQUIT}},
		{[]string{"--rewrite=sigterm:SigQuit", "x"}, nil, rewrites{unix.SIGTERM: unix.SIGQUIT}},
		{[]string{"-r", "SIGUSR1:0", "-r", "2:SIGUSR2", "x"}, nil, rewrites{unix.SIGUSR1: 0, unix.SIGINT: unix.SIGUSR2}},
		{[]string{"-r", "15:3", "-r", "15:1", "x"}, nil, rewrites{unix.SIGTERM: unix.SIGHUP}},
		{[]string{"-vr", "TSTP:STOP", "x"}, nil, rewrites{unix.SIGTSTP: unix.SIGSTOP}},
		{[]string{"-r", "34:64", "x"}, nil, rewrites{34: 64}},
		{[]string{"-r", "10:9", "x"}, nil, rewrites{unix.SIGUSR1: unix.SIGKILL}},
		{[]string{"x"}, []string{"TINIT_REWRITE", "15:3, USR1:0"}, rewrites{unix.SIGTERM: unix.SIGQUIT, unix.SIGUSR1: 0}},
		// A flag wins over the variable as a whole, as for -e.
		{[]string{"-r", "1:2", "x"}, []string{"TINIT_REWRITE", "15:3"}, rewrites{unix.SIGHUP: unix.SIGINT}},
		{[]string{"x"}, nil, nil},
	} {
		cfg := mustParse(t, envOf(c.env...), c.args...)
		if !maps.Equal(cfg.Rewrite, c.want) {
			t.Errorf("parse(%q, env %q): rewrite %v, want %v", c.args, c.env, cfg.Rewrite, c.want)
		}
	}
}

func TestCoreParseRewriteErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  []string
		msg  string
	}{
		{[]string{"-r"}, nil, "option -r needs a value"},
		{[]string{"-r", "15", "x"}, nil, `-r: "15" is not S:R, two signals such as 15:3 or TERM:QUIT (R 0 drops S)`},
		{[]string{"-r", "15:3:1", "x"}, nil, `-r: "15:3:1" is not S:R, two signals such as 15:3 or TERM:QUIT (R 0 drops S)`},
		{[]string{"-r", ":3", "x"}, nil, `-r: ":3" is not S:R, two signals such as 15:3 or TERM:QUIT (R 0 drops S)`},
		{[]string{"--rewrite=15:", "x"}, nil, `--rewrite: "15:" is not S:R, two signals such as 15:3 or TERM:QUIT (R 0 drops S)`},
		{[]string{"-r", "0:3", "x"}, nil, "-r: signal number 0 is out of range 1-64"},
		{[]string{"-r", "15:65", "x"}, nil, "-r: signal number 65 is out of range 1-64"},
		{[]string{"-r", "NOPE:1", "x"}, nil, `-r: unknown signal "NOPE"`},
		{[]string{"-r", "1:-1", "x"}, nil, "-r: signal number -1 is out of range 1-64"},
		{[]string{"-r", "KILL:15", "x"}, nil, "-r: SIGKILL cannot be rewritten: it cannot be caught"},
		{[]string{"-r", "19:15", "x"}, nil, "-r: SIGSTOP cannot be rewritten: it cannot be caught"},
		{[]string{"-r", "CHLD:15", "x"}, nil, "-r: SIGCHLD cannot be rewritten: it tells tinit of its children and is never forwarded"},
		{[]string{"-r", "PROF:15", "x"}, nil, "-r: SIGPROF cannot be rewritten: the Go runtime keeps it"},
		{[]string{"-r", "32:15", "x"}, nil, "-r: signal 32 cannot be rewritten: it belongs to the C library's threads"},
		{[]string{"x"}, []string{"TINIT_REWRITE", "15:3,,1:2"}, `TINIT_REWRITE: "" is not S:R, two signals such as 15:3 or TERM:QUIT (R 0 drops S)`},
		{[]string{"x"}, []string{"TINIT_REWRITE", "15=3"}, `TINIT_REWRITE: "15=3" is not S:R, two signals such as 15:3 or TERM:QUIT (R 0 drops S)`},
	} {
		_, _, err := parse(c.args, envOf(c.env...))
		if !isUsage(err) || err.Error() != c.msg {
			t.Errorf("parse(%q, env %q) = %v, want usage error %q", c.args, c.env, err, c.msg)
		}
	}
}

// -P, as catatonit's, runs no command; a command with it is a usage error,
// as in catatonit.
func TestCoreParsePause(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  []string
	}{
		{[]string{"-P"}, nil},
		{[]string{"--pause"}, nil},
		{[]string{"-vP", "--"}, nil},
		{[]string{"-P", "-r", "USR1:TERM"}, nil},
		{nil, []string{"TINIT_PAUSE", "1"}},
	} {
		cfg := mustParse(t, envOf(c.env...), c.args...)
		if !cfg.Pause || len(cfg.Argv) != 0 {
			t.Errorf("parse(%q, env %q): pause %v argv %q, want pause and no command", c.args, c.env, cfg.Pause, cfg.Argv)
		}
	}
	if cfg := mustParse(t, envOf("TINIT_PAUSE", "0"), "x"); cfg.Pause {
		t.Errorf("TINIT_PAUSE=0 turned pause mode on")
	}
	for _, c := range []struct {
		args []string
		env  []string
		msg  string
	}{
		{[]string{"-P", "sleep", "1"}, nil, `-P runs no command, but "sleep" was given`},
		{[]string{"--pause", "--", "-v"}, nil, `-P runs no command, but "-v" was given`},
		{[]string{"x"}, []string{"TINIT_PAUSE", "yes"}, `-P runs no command, but "x" was given`},
		{[]string{"--pause=1"}, nil, "option --pause takes no value"},
		{nil, []string{"TINIT_PAUSE", "maybe"}, `TINIT_PAUSE: "maybe" is not one of 1, true, yes, on, 0, false, no, off`},
	} {
		_, _, err := parse(c.args, envOf(c.env...))
		if !isUsage(err) || err.Error() != c.msg {
			t.Errorf("parse(%q, env %q) = %v, want usage error %q", c.args, c.env, err, c.msg)
		}
	}
}
