package main

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"tinit/internal/render"
	"tinit/internal/subreaper"
)

// parseRewrite takes one of dumb-init's S:R rules: a signal, a colon and
// the signal to send instead, 0 to send none. Each is a number or a name,
// with or without SIG.
func parseRewrite(name, v string) (from, to unix.Signal, err error) {
	s, r, ok := strings.Cut(v, ":")
	if !ok || s == "" || r == "" || strings.Contains(r, ":") {
		return 0, 0, usagef(name, ": ", strconv.Quote(v), " is not S:R, two signals such as 15:3 or TERM:QUIT (R 0 drops S)")
	}
	if from, err = parseSignal(s); err != nil {
		return 0, 0, usagef(name, ": ", err.Error())
	}
	if why := subreaper.NotRewritable(from); why != "" {
		return 0, 0, usagef(name, ": ", subreaper.SignalName(from), " cannot be rewritten: ", why)
	}
	if r == "0" {
		return from, 0, nil
	}
	if to, err = parseSignal(r); err != nil {
		return 0, 0, usagef(name, ": ", err.Error())
	}
	return from, to, nil
}

// checkPause refuses a command with -P, as catatonit does: a pause runs
// nothing, and a command given anyway is a mistake worth saying.
func checkPause(cfg *subreaper.Config) error {
	if cfg.Pause && len(cfg.Argv) > 0 {
		return usagef("-P runs no command, but ", strconv.Quote(render.Clip(cfg.Argv[0], 200)), " was given")
	}
	return nil
}
