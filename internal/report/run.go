package report

import (
	"encoding/base64"
	"tinit/internal/leak"
	"tinit/internal/render"
	"unicode/utf8"
)

// Run is what --report writes: one JSON object per run, for CI systems.
// docs/output.md documents its fields.
type Run struct {
	Command    []string
	ExitStatus int
	// Error is tinit's own one-line message when the run ended before or
	// instead of the main child (125, 126, 127); "" otherwise.
	Error      string
	Started    bool // the main child was started: the fields below mean something
	MainPID    int
	MainCode   int    // the main child's exit code, when it exited
	MainSignal string // the signal that killed it, when one did
	// Milliseconds: the main child's run, then from its exit until both
	// pipes reached end of file, then tinit's whole run.
	MainMs, DrainMs, TotalMs int64
	Leaked                   []*leak.Leak
}

// reportJSON is the report's wire form, field by field in docs/output.md's
// order. A pointer is a field that can be null; a slice is never nil, so
// an empty list is [] and not null.
type reportJSON struct {
	Command       []string       `json:"command"`
	CommandBase64 []*string      `json:"command_base64"`
	ExitStatus    int            `json:"exit_status"`
	Error         *string        `json:"error"`
	MainChild     *mainChildJSON `json:"main_child"`
	MainMs        *int64         `json:"main_ms"`
	DrainMs       *int64         `json:"drain_ms"`
	TotalMs       int64          `json:"total_ms"`
	Leaked        []leakJSON     `json:"leaked"`
}

type mainChildJSON struct {
	PID      int     `json:"pid"`
	ExitCode *int    `json:"exit_code"`
	Signal   *string `json:"signal"`
}

// leakJSON is one leaked process; its holding fields are the ones
// `tinit ps --json` gives every process (see Holding).
type leakJSON struct {
	PID           int       `json:"pid"`
	PPID          int       `json:"ppid"`
	State         string    `json:"state"`
	Cmdline       []string  `json:"cmdline"`
	CmdlineBase64 []*string `json:"cmdline_base64"`
	Holding
	FdsUnreadable bool    `json:"fds_unreadable,omitempty"`
	Signal        *string `json:"signal"`
}

// JSON encodes r on one line.
func (r *Run) JSON() []byte {
	j := reportJSON{
		Command:       render.OrEmpty(r.Command),
		CommandBase64: base64s(r.Command),
		ExitStatus:    r.ExitStatus,
		Error:         render.NonEmpty(r.Error),
		TotalMs:       r.TotalMs,
		Leaked:        make([]leakJSON, 0, len(r.Leaked)),
	}
	if r.Started {
		j.MainChild = &mainChildJSON{PID: r.MainPID, Signal: render.NonEmpty(r.MainSignal)}
		if r.MainSignal == "" {
			j.MainChild.ExitCode = &r.MainCode
		}
		j.MainMs, j.DrainMs = &r.MainMs, &r.DrainMs
	}
	for _, l := range r.Leaked {
		j.Leaked = append(j.Leaked, leakJSON{
			PID:           l.PID,
			PPID:          l.PPID,
			State:         l.State,
			Cmdline:       render.OrEmpty(l.Cmdline),
			CmdlineBase64: base64s(l.Cmdline),
			Holding:       HoldingOf(&l.Holder),
			FdsUnreadable: l.Unreadable,
			Signal:        render.NonEmpty(l.Signal),
		})
	}
	return render.MarshalLine(&j)
}

// base64s is the exact bytes of each word that is not valid UTF-8, whose
// JSON string holds U+FFFD instead, and null for every other word, whose
// JSON string is exact.
func base64s(ss []string) []*string {
	out := make([]*string, len(ss))
	for i, s := range ss {
		if !utf8.ValidString(s) {
			b := base64.StdEncoding.EncodeToString([]byte(s))
			out[i] = &b
		}
	}
	return out
}
