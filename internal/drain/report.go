package drain

import (
	"os"
)

// Report is what --report writes: one JSON object per run, for CI systems.
// The README documents its fields.
type Report struct {
	Command    []string
	ExitStatus int
	MainPID    int
	MainCode   int    // the main child's exit code, when it exited
	MainSignal string // the signal that killed it, when one did
	// Milliseconds: the main child's run, then from its exit until both
	// pipes reached end of file, then tinit's whole run.
	MainMs, DrainMs, TotalMs int64
	Leaked                   []*Leak
}

// JSON encodes r.
func (r *Report) JSON() []byte {
	main := newObj(nil).int("pid", int64(r.MainPID))
	if r.MainSignal != "" {
		main.null("exit_code").str("signal", r.MainSignal)
	} else {
		main.int("exit_code", int64(r.MainCode)).null("signal")
	}
	leaked := []byte{'['}
	for i, l := range r.Leaked {
		if i > 0 {
			leaked = append(leaked, ',')
		}
		leaked = append(leaked, l.JSON()...)
	}
	leaked = append(leaked, ']')
	o := newObj(nil).
		raw("command", appendStrings(nil, r.Command)).
		int("exit_status", int64(r.ExitStatus)).
		raw("main_child", main.end()).
		int("main_ms", r.MainMs).
		int("drain_ms", r.DrainMs).
		int("total_ms", r.TotalMs).
		raw("leaked", leaked)
	return append(o.end(), '\n')
}

// JSON encodes one leaked process.
func (l *Leak) JSON() []byte {
	holds := []byte{'['}
	for i, h := range l.Holds {
		if i > 0 {
			holds = append(holds, ',')
		}
		holds = append(holds, newObj(nil).str("stream", h.Stream).int("fd", int64(h.Fd)).end()...)
	}
	holds = append(holds, ']')
	feeds := l.Feeds
	if feeds == nil {
		feeds = []int{}
	}
	o := newObj(nil).
		int("pid", int64(l.PID)).
		int("ppid", int64(l.PPID)).
		str("state", l.State).
		raw("cmdline", appendStrings(nil, l.Cmdline)).
		raw("holds", holds).
		raw("feeds", appendInts(nil, feeds)).
		bool("relay", l.Relay)
	if l.Signal == "" {
		o.null("signal")
	} else {
		o.str("signal", l.Signal)
	}
	return o.end()
}

// WriteReport writes r to path, whole or not at all.
func WriteReport(path string, r *Report) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, r.JSON(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
