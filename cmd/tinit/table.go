package main

import (
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"tinit/internal/subreaper"
)

// parsed is what the options and the environment fill in: the run's
// Config, and -e's exit codes in the order given.
type parsed struct {
	cfg   subreaper.Config
	remap []int
}

// option is one of tinit's options: its names on the command line and in
// the environment, what it does, and its line in --help. Adding an option
// is adding an entry to options; --help, the environment list and the
// parsers come from it, and the man page is tested against --help.
type option struct {
	key   string // TINIT_<key> in the environment; "" for none
	short byte   // 0 for none
	long  string
	arg   string // the value's name in --help; "" for a flag
	help  string
	act   action // what the option asks instead of a run; actRun for the rest

	flag  func(p *parsed)                       // a flag's effect
	value func(p *parsed, name, v string) error // a value's parser; name is how it was given, for errors
	list  bool                                  // TINIT_<key> is a comma-separated list of values
	// env parses TINIT_<key> when it is neither a flag's yes or no nor
	// values the option takes.
	env func(p *parsed, name, v string) error
	// tini reads tini's variables for the option, with tini's meaning,
	// where TINIT_<key> is unset: images made for docker's --init set them.
	tini      func(p *parsed, getenv func(string) string)
	tiniNames []string // tini's variables that tini reads, for --help
}

var options = []option{
	{key: "SUBREAPER", short: 's', long: "--subreaper", flag: func(*parsed) {},
		help: "accepted for tini compatibility: tinit is always a subreaper when it is not pid 1",
		// TINI_SUBREAPER: tinit is always a subreaper when it is not pid 1.
		tiniNames: []string{"TINI_SUBREAPER"}},
	{key: "PGROUP", short: 'g', long: "--pgroup", flag: func(p *parsed) { p.cfg.Pgroup = true },
		help: "forward signals to the child's process group, not just the child",
		// tini asks only whether TINI_KILL_PROCESS_GROUP is set.
		tini: func(p *parsed, getenv func(string) string) {
			if getenv("TINI_KILL_PROCESS_GROUP") != "" {
				p.cfg.Pgroup = true
			}
		}, tiniNames: []string{"TINI_KILL_PROCESS_GROUP"}},
	{key: "PDEATHSIG", short: 'p', long: "--pdeathsig", arg: "SIGNAL", value: setPdeathsig,
		help: "the signal tinit gets when its parent dies (name or number)"},
	{key: "REMAP_EXIT", short: 'e', long: "--remap-exit", arg: "CODE", value: addRemap, list: true,
		help: "count the child's exit code CODE as 0 (repeatable; env: comma-separated)"},
	{key: "REWRITE", short: 'r', long: "--rewrite", arg: "S:R", value: addRewrite, list: true,
		help: "forward signal S as signal R, or not at all for R 0 (repeatable; env: comma-separated)"},
	{key: "PAUSE", short: 'P', long: "--pause", flag: func(p *parsed) { p.cfg.Pause = true },
		help: "run no command: reap orphans until SIGTERM or SIGINT, then exit 0 (a pod's infra)"},
	{key: "VERBOSITY", short: 'v', long: "--verbose", flag: func(p *parsed) { p.cfg.Verbosity++ }, env: setVerbosity,
		help: "log more on stderr (repeatable; env: a number)",
		// tini reads TINI_VERBOSITY with atoi on its own scale, where 1,
		// warnings, is the default: tinit's 0.
		tini: func(p *parsed, getenv func(string) string) {
			if v := getenv("TINI_VERBOSITY"); v != "" {
				p.cfg.Verbosity = max(0, atoi(v)-1)
			}
		}, tiniNames: []string{"TINI_VERBOSITY"}},
	{key: "WARN_ON_REAP", short: 'w', long: "--warn-on-reap", flag: func(p *parsed) { p.cfg.WarnOnReap = true },
		help: "warn for every orphan tinit reaps"},
	{key: "KILL_AFTER", long: "--kill-after", arg: "DURATION", value: duration(func(c *subreaper.Config) *time.Duration { return &c.KillAfter }),
		help: "from SIGTERM to SIGKILL for leaked processes (default 5s)"},
	{key: "GRACE", long: "--grace", arg: "DURATION", value: duration(func(c *subreaper.Config) *time.Duration { return &c.Grace }),
		help: "how long the output may stay open after the child exits (default 2s)"},
	{key: "NO_DRAIN", long: "--no-drain", flag: func(p *parsed) { p.cfg.Drain.Disabled = true },
		help: "let the child write to tinit's stdout and stderr directly, as tini does"},
	{key: "STDOUT_FILE", long: "--stdout-file", arg: "PATH", value: path(func(c *subreaper.Config) *string { return &c.Drain.StdoutFile }),
		help: "append a copy of the child's stdout to PATH"},
	{key: "STDERR_FILE", long: "--stderr-file", arg: "PATH", value: path(func(c *subreaper.Config) *string { return &c.Drain.StderrFile }),
		help: "append a copy of the child's stderr to PATH"},
	{key: "REPORT", long: "--report", arg: "PATH", value: path(func(c *subreaper.Config) *string { return &c.Report }),
		help: "write a JSON report of the run to PATH"},
	{short: 'h', long: "--help", act: actHelp, help: "show this help and exit"},
	{long: "--version", act: actVersion, help: "show the version and exit"},
}

var shortOptions, longOptions = func() (map[byte]option, map[string]option) {
	s, l := map[byte]option{}, map[string]option{}
	for _, o := range options {
		if o.short != 0 {
			s[o.short] = o
		}
		l[o.long] = o
	}
	return s, l
}()

// fromEnv applies TINIT_<key>=v, named name.
func (o option) fromEnv(p *parsed, name, v string) error {
	switch {
	case o.env != nil:
		return o.env(p, name, v)
	case o.list:
		for _, c := range strings.Split(v, ",") {
			if err := o.value(p, name, strings.TrimSpace(c)); err != nil {
				return err
			}
		}
	case o.arg == "":
		on, err := parseBool(v)
		if err != nil {
			return usagef(name, ": ", err.Error())
		}
		if on {
			o.flag(p)
		}
	default:
		return o.value(p, name, v)
	}
	return nil
}

func setPdeathsig(p *parsed, name, v string) error {
	sig, err := parseSignal(v)
	if err != nil {
		return usagef(name, ": ", err.Error())
	}
	p.cfg.Pdeathsig = sig
	return nil
}

func addRemap(p *parsed, name, v string) error {
	c, err := strconv.Atoi(v)
	if err != nil || c < 0 || c > 255 {
		return usagef(name, ": exit code ", strconv.Quote(v), " is not a number from 0 to 255")
	}
	p.remap = append(p.remap, c)
	return nil
}

func addRewrite(p *parsed, name, v string) error {
	from, to, err := parseRewrite(name, v)
	if err != nil {
		return err
	}
	if p.cfg.Rewrite == nil {
		p.cfg.Rewrite = map[unix.Signal]unix.Signal{}
	}
	p.cfg.Rewrite[from] = to
	return nil
}

func setVerbosity(p *parsed, name, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return usagef(name, ": ", strconv.Quote(v), " is not a number")
	}
	p.cfg.Verbosity = n
	return nil
}

// duration parses a value such as 500ms or 5s into the field at.
func duration(at func(*subreaper.Config) *time.Duration) func(p *parsed, name, v string) error {
	return func(p *parsed, name, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return usagef(name, ": ", strconv.Quote(v), " is not a duration such as 500ms or 5s")
		}
		*at(&p.cfg) = d
		return nil
	}
}

// path takes a path, which may not be empty, into the field at.
func path(at func(*subreaper.Config) *string) func(p *parsed, name, v string) error {
	return func(p *parsed, name, v string) error {
		if v == "" {
			return usagef(name, ": empty path")
		}
		*at(&p.cfg) = v
		return nil
	}
}
