package main

import (
	"errors"
	"strconv"
	"strings"

	"tinit/internal/procview"
	"tinit/internal/ps"
	"tinit/internal/quietio"
	"tinit/internal/render"
)

// Exit statuses of `tinit ps`.
const (
	psNotTinit = 1 // no process at PID, or it is not tinit
	psNoProc   = 2 // /proc is missing, unreadable, or shows another pid namespace
	psDenied   = 3 // another user's tinit: its fds cannot be read, or hidepid hides it
)

const psUsage = `Usage: tinit ps [--json] [PID]

Shows the processes below the tinit at PID (default 1) as a tree: pid,
state, age, command line, which of tinit's output pipes each one holds open
(stream and fd), which are orphans, and why tinit is still waiting.
Only "ps" as the very first argument means this: tinit -- ps runs ps(1).

Options:
  --json      print the same facts as one JSON object
  -h, --help  show this help and exit

Exit status: 0, or 1 if PID is not tinit, 2 if /proc cannot be read,
3 if what PID runs or its fds cannot be read, or /proc hides it (permission
denied), 125 for a usage error.
`

// dispatch sends `tinit ps ...` to psMain and everything else to realMain.
// Only the first word counts, so a command named ps still runs after an
// option or "--".
func dispatch(args []string) int {
	if len(args) > 0 && args[0] == "ps" {
		return psMain(args[1:])
	}
	return realMain(args)
}

func psMain(args []string) int {
	pid, asJSON := 1, false
	pidSet := false
	for _, a := range args {
		switch {
		case a == "--json":
			asJSON = true
		case a == "-h" || a == "--help":
			_ = quietio.WriteQuiet(1, []byte(psUsage))
			return 0
		case strings.HasPrefix(a, "-"):
			fail("ps: unknown option " + render.Quote(a) + " (see tinit ps --help)")
			return 125
		default:
			n, err := strconv.Atoi(a)
			if pidSet {
				fail("ps: one pid at a time, not also " + render.Quote(a) + " (see tinit ps --help)")
				return 125
			}
			if err != nil || n < 1 {
				fail("ps: " + render.Quote(a) + " is not a pid (see tinit ps --help)")
				return 125
			}
			pid, pidSet = n, true
		}
	}
	in, err := ps.Load(pid)
	if err != nil {
		fail(err.Error())
		switch {
		case errors.Is(err, ps.ErrDenied):
			return psDenied
		case errors.Is(err, procview.ErrNoProc):
			return psNoProc
		}
		return psNotTinit
	}
	v := ps.NewView(in)
	if asJSON {
		_ = quietio.WriteQuiet(1, v.JSON())
		return 0
	}
	_ = quietio.WriteQuiet(1, []byte(strings.Join(v.Render(), "\n")+"\n"))
	return 0
}
