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
// as in tini (-vvv, -sg, -e3). What each option means is its entry in the
// table (table.go).
func parse(args []string, getenv func(string) string) (subreaper.Config, action, error) {
	p := &parsed{cfg: subreaper.Config{KillAfter: defaultKillAfter, Grace: defaultGrace}}
	set := map[string]bool{}
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
				return p.cfg, actRun, usagef("unknown option ", render.Quote(name))
			}
			if o.act != actRun || o.arg == "" {
				if has {
					return p.cfg, actRun, usagef("option ", name, " takes no value")
				}
				if o.act != actRun {
					return p.cfg, o.act, nil
				}
				o.flag(p)
				set[o.key] = true
				continue
			}
			v, err := value(name, val, has)
			if err != nil {
				return p.cfg, actRun, err
			}
			if err := o.value(p, name, v); err != nil {
				return p.cfg, actRun, err
			}
			set[o.key] = true
			continue
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			o, ok := shortOptions[c]
			if !ok {
				return p.cfg, actRun, usagef("unknown option ", render.Quote("-"+a[j:j+1]))
			}
			if o.act != actRun {
				return p.cfg, o.act, nil
			}
			if o.arg == "" {
				o.flag(p)
				set[o.key] = true
				continue
			}
			v, err := value("-"+string(c), a[j+1:], j+1 < len(a))
			if err != nil {
				return p.cfg, actRun, err
			}
			if err := o.value(p, "-"+string(c), v); err != nil {
				return p.cfg, actRun, err
			}
			set[o.key] = true
			break
		}
	}
	if err := applyEnv(p, set, getenv); err != nil {
		return p.cfg, actRun, err
	}
	for _, c := range p.remap {
		p.cfg.RemapExit[c] = true
	}
	p.cfg.Argv = args[i:]
	if err := checkPause(&p.cfg); err != nil {
		return p.cfg, actRun, err
	}
	if len(p.cfg.Argv) == 0 && !p.cfg.Pause {
		return p.cfg, actRun, usagef("no command given")
	}
	return p.cfg, actRun, nil
}

// applyEnv takes TINIT_<KEY> for every option the command line left unset,
// and where that is unset too, tini's variable for it.
func applyEnv(p *parsed, set map[string]bool, getenv func(string) string) error {
	for _, o := range options {
		if o.key == "" || set[o.key] {
			continue
		}
		name := "TINIT_" + o.key
		v := getenv(name)
		if v == "" {
			if o.tini != nil {
				o.tini(p, getenv)
			}
			continue
		}
		if err := o.fromEnv(p, name, v); err != nil {
			return err
		}
	}
	return nil
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
