package main

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"tinit/internal/render"
	"tinit/internal/subreaper"
)

// action is what the command line asks tinit to do.
type action int

const (
	actRun action = iota
	actHelp
	actVersion
)

// usageError is a bad command line or environment: exit 125 with a hint.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(parts ...string) error { return &usageError{strings.Join(parts, "")} }

// Defaults of the durations.
const (
	defaultKillAfter = 5 * time.Second
	defaultGrace     = 2 * time.Second
)

// parse reads the options, then the environment for what the options left
// unset: flags win. Options end at "--" or at the first word that is not an
// option, so `tinit sh -c 'exit 3'` leaves -c to sh. Short options combine
// as in tini (-vvv, -sg, -e3).
func parse(args []string, getenv func(string) string) (subreaper.Config, action, error) {
	cfg := subreaper.Config{KillAfter: defaultKillAfter, Grace: defaultGrace}
	set := map[string]bool{}
	var remap []int
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		// value takes an option's argument: attached, or the next word.
		value := func(name, attached string, hasAttached bool) (string, error) {
			if hasAttached {
				return attached, nil
			}
			if i+1 >= len(args) {
				return "", usagef("option ", name, " needs a value")
			}
			i++
			return args[i], nil
		}
		if strings.HasPrefix(a, "--") {
			name, val, has := strings.Cut(a, "=")
			o, ok := longOptions[name]
			if !ok {
				return cfg, actRun, usagef("unknown option ", render.Quote(name))
			}
			if o.short == 'h' || name == "--version" {
				if has {
					return cfg, actRun, usagef("option ", name, " takes no value")
				}
				if name == "--version" {
					return cfg, actVersion, nil
				}
				return cfg, actHelp, nil
			}
			if !o.takesValue {
				if has {
					return cfg, actRun, usagef("option ", name, " takes no value")
				}
				applyFlag(&cfg, o.key)
				set[o.key] = true
				continue
			}
			v, err := value(name, val, has)
			if err != nil {
				return cfg, actRun, err
			}
			if err := applyValue(&cfg, o.key, name, v, &remap); err != nil {
				return cfg, actRun, err
			}
			set[o.key] = true
			continue
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			o, ok := shortOptions[c]
			if !ok {
				return cfg, actRun, usagef("unknown option ", render.Quote("-"+a[j:j+1]))
			}
			if c == 'h' {
				return cfg, actHelp, nil
			}
			if !o.takesValue {
				applyFlag(&cfg, o.key)
				set[o.key] = true
				continue
			}
			v, err := value("-"+string(c), a[j+1:], j+1 < len(a))
			if err != nil {
				return cfg, actRun, err
			}
			if err := applyValue(&cfg, o.key, "-"+string(c), v, &remap); err != nil {
				return cfg, actRun, err
			}
			set[o.key] = true
			break
		}
	}
	if err := applyEnv(&cfg, set, getenv, &remap); err != nil {
		return cfg, actRun, err
	}
	for _, c := range remap {
		cfg.RemapExit[c] = true
	}
	cfg.Argv = args[i:]
	if err := checkPause(&cfg); err != nil {
		return cfg, actRun, err
	}
	if len(cfg.Argv) == 0 && !cfg.Pause {
		return cfg, actRun, usagef("no command given")
	}
	return cfg, actRun, nil
}

// option is one of tinit's options; key names it in both tables and in the
// environment (TINIT_<KEY>).
type option struct {
	key        string
	short      byte
	long       string
	takesValue bool
	help       string
}

var options = []option{
	{"SUBREAPER", 's', "--subreaper", false, "accepted for tini compatibility: tinit is always a subreaper when it is not pid 1"},
	{"PGROUP", 'g', "--pgroup", false, "forward signals to the child's process group, not just the child"},
	{"PDEATHSIG", 'p', "--pdeathsig", true, "SIGNAL: the signal tinit gets when its parent dies (name or number)"},
	{"REMAP_EXIT", 'e', "--remap-exit", true, "CODE: count the child's exit code CODE as 0 (repeatable; env: comma-separated)"},
	{"REWRITE", 'r', "--rewrite", true, "S:R: forward signal S as signal R, or not at all for R 0 (repeatable; env: comma-separated)"},
	{"PAUSE", 'P', "--pause", false, "run no command: reap orphans until SIGTERM or SIGINT, then exit 0 (a pod's infra)"},
	{"VERBOSITY", 'v', "--verbose", false, "log more on stderr (repeatable; env: a number)"},
	{"WARN_ON_REAP", 'w', "--warn-on-reap", false, "warn for every orphan tinit reaps"},
	{"KILL_AFTER", 0, "--kill-after", true, "DURATION: from SIGTERM to SIGKILL for leaked processes (default 5s)"},
	{"GRACE", 0, "--grace", true, "DURATION: how long the output may stay open after the child exits (default 2s)"},
	{"NO_DRAIN", 0, "--no-drain", false, "let the child write to tinit's stdout and stderr directly, as tini does"},
	{"STDOUT_FILE", 0, "--stdout-file", true, "PATH: append a copy of the child's stdout to PATH"},
	{"STDERR_FILE", 0, "--stderr-file", true, "PATH: append a copy of the child's stderr to PATH"},
	{"REPORT", 0, "--report", true, "PATH: write a JSON report of the run to PATH"},
	{"", 'h', "--help", false, "show this help and exit"},
	{"", 0, "--version", false, "show the version and exit"},
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

func applyFlag(cfg *subreaper.Config, key string) {
	switch key {
	case "PGROUP":
		cfg.Pgroup = true
	case "VERBOSITY":
		cfg.Verbosity++
	case "WARN_ON_REAP":
		cfg.WarnOnReap = true
	case "NO_DRAIN":
		cfg.Drain.Disabled = true
	case "PAUSE":
		cfg.Pause = true
	}
}

func applyValue(cfg *subreaper.Config, key, name, v string, remap *[]int) error {
	switch key {
	case "PDEATHSIG":
		sig, err := parseSignal(v)
		if err != nil {
			return usagef(name, ": ", err.Error())
		}
		cfg.Pdeathsig = sig
	case "REMAP_EXIT":
		c, err := strconv.Atoi(v)
		if err != nil || c < 0 || c > 255 {
			return usagef(name, ": exit code ", strconv.Quote(v), " is not a number from 0 to 255")
		}
		*remap = append(*remap, c)
	case "REWRITE":
		from, to, err := parseRewrite(name, v)
		if err != nil {
			return err
		}
		if cfg.Rewrite == nil {
			cfg.Rewrite = map[unix.Signal]unix.Signal{}
		}
		cfg.Rewrite[from] = to
	case "KILL_AFTER", "GRACE":
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return usagef(name, ": ", strconv.Quote(v), " is not a duration such as 500ms or 5s")
		}
		if key == "GRACE" {
			cfg.Grace = d
		} else {
			cfg.KillAfter = d
		}
	case "STDOUT_FILE", "STDERR_FILE", "REPORT":
		if v == "" {
			return usagef(name, ": empty path")
		}
		switch key {
		case "STDOUT_FILE":
			cfg.Drain.StdoutFile = v
		case "STDERR_FILE":
			cfg.Drain.StderrFile = v
		default:
			cfg.Report = v
		}
	}
	return nil
}

// applyEnv takes TINIT_<KEY> for every option the command line left unset.
func applyEnv(cfg *subreaper.Config, set map[string]bool, getenv func(string) string, remap *[]int) error {
	for _, o := range options {
		if o.key == "" || set[o.key] {
			continue
		}
		name := "TINIT_" + o.key
		v := getenv(name)
		if v == "" {
			applyTiniEnv(cfg, o.key, getenv)
			continue
		}
		switch {
		case o.key == "VERBOSITY":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return usagef(name, ": ", strconv.Quote(v), " is not a number")
			}
			cfg.Verbosity = n
		case o.key == "REMAP_EXIT" || o.key == "REWRITE":
			for _, c := range strings.Split(v, ",") {
				if err := applyValue(cfg, o.key, name, strings.TrimSpace(c), remap); err != nil {
					return err
				}
			}
		case !o.takesValue:
			on, err := parseBool(v)
			if err != nil {
				return usagef(name, ": ", err.Error())
			}
			if on {
				applyFlag(cfg, o.key)
			}
		default:
			if err := applyValue(cfg, o.key, name, v, remap); err != nil {
				return err
			}
		}
	}
	return nil
}

// applyTiniEnv takes tini's variable for key, with tini's meaning, where
// TINIT_<KEY> is unset: images made for docker's --init set them. tini
// asks only whether TINI_SUBREAPER and TINI_KILL_PROCESS_GROUP are set, and
// reads TINI_VERBOSITY with atoi on its own scale, where 1, warnings, is
// the default: tinit's 0.
func applyTiniEnv(cfg *subreaper.Config, key string, getenv func(string) string) {
	switch key {
	case "PGROUP":
		if getenv("TINI_KILL_PROCESS_GROUP") != "" {
			cfg.Pgroup = true
		}
	case "VERBOSITY":
		if v := getenv("TINI_VERBOSITY"); v != "" {
			cfg.Verbosity = max(0, atoi(v)-1)
		}
	}
	// TINI_SUBREAPER: tinit is always a subreaper when it is not pid 1.
}

// atoi is C's: the leading decimal digits, after an optional sign; 0 when
// there are none.
func atoi(s string) int {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	n := 0
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9' && n < 1<<20; i++ {
		n = n*10 + int(s[i]-'0')
	}
	if neg {
		return -n
	}
	return n
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, errors.New(strconv.Quote(v) + " is not one of 1, true, yes, on, 0, false, no, off")
}

// parseSignal takes 9, KILL or SIGKILL.
func parseSignal(v string) (unix.Signal, error) {
	if n, err := strconv.Atoi(v); err == nil {
		if n < 1 || n > 64 {
			return 0, errors.New("signal number " + v + " is out of range 1-64")
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(v)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, errors.New("unknown signal " + strconv.Quote(v))
}
