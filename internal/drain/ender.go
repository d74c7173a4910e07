package drain

import (
	"time"

	"golang.org/x/sys/unix"
)

// Ender ends leaked holders round by round. Sources (holders nobody feeds)
// get SIGTERM (then SIGCONT, if stopped); once the first SIGTERM is
// KillAfter old, every source still holding gets SIGKILL, newcomers forked
// meanwhile included. Relays get only SIGCONT, if stopped: they end by
// themselves at end of file, after passing on what they had read. A relay whose feeders are gone becomes a
// source, but only after Grace, to let it drain first.
type Ender struct {
	KillAfter, Grace time.Duration

	firstTerm time.Time
	tracks    map[procKey]*track
	seenPIDs  map[int]bool
	ended     []*Leak
}

type procKey struct {
	pid   int
	start uint64
}

type track struct {
	leak        *Leak
	wasRelay    bool
	sourceSince time.Time
	termed      bool
}

// Leak is a holder tinit had to act on, for the report.
type Leak struct {
	PID     int
	PPID    int
	State   string
	Cmdline []string
	Holds   []Hold
	Feeds   []int
	Relay   bool
	Signal  string // the last signal tinit sent it
}

// NewHolders tells which of hs this Ender has not seen before: the report
// shows each leaked process once, before anything is sent to it.
func (e *Ender) NewHolders(hs []*Holder) []*Holder {
	var fresh []*Holder
	for _, h := range hs {
		if e.tracks[keyOf(h.Proc)] == nil {
			fresh = append(fresh, h)
		}
	}
	return fresh
}

// Round acts on one scan's holders. Only a stopped holder gets SIGCONT, and
// after its SIGTERM or SIGKILL: it then meets the pending signal the moment
// it resumes, before it runs another instruction of its own. A stopped relay
// gets SIGCONT alone, to pass on what it holds. A running process is never
// sent SIGCONT: a shell, an editor or a test's own handler may act on it.
func (e *Ender) Round(now time.Time, hs []*Holder) {
	if e.tracks == nil {
		e.tracks = map[procKey]*track{}
	}
	for _, h := range hs {
		e.act(now, e.track(h), h)
		if stopped(h.State) {
			_ = Signal(h.Proc, unix.SIGCONT)
		}
	}
}

// stopped tells a job-control stop (T) or a tracing stop (t) from the
// kernel's state letter.
func stopped(state string) bool { return state == "T" || state == "t" }

func (e *Ender) act(now time.Time, t *track, h *Holder) {
	if h.Relay {
		t.wasRelay = true
		return
	}
	if t.sourceSince.IsZero() {
		t.sourceSince = now
	}
	if t.wasRelay && now.Sub(t.sourceSince) < e.Grace {
		return
	}
	switch {
	case !e.firstTerm.IsZero() && now.Sub(e.firstTerm) >= e.KillAfter:
		e.send(t, h, unix.SIGKILL)
	case !t.termed:
		if e.firstTerm.IsZero() {
			e.firstTerm = now
		}
		t.termed = true
		e.send(t, h, unix.SIGTERM)
	}
}

func (e *Ender) send(t *track, h *Holder, sig unix.Signal) {
	if Signal(h.Proc, sig) == nil {
		t.leak.Signal = unix.SignalName(sig)
	}
}

func (e *Ender) track(h *Holder) *track {
	k := keyOf(h.Proc)
	t := e.tracks[k]
	if t == nil {
		t = &track{leak: &Leak{PID: h.PID, PPID: h.PPID, State: h.State, Cmdline: h.Cmdline,
			Holds: h.Holds, Feeds: h.Feeds, Relay: h.Relay}}
		e.tracks[k] = t
		e.ended = append(e.ended, t.leak)
		if e.seenPIDs == nil {
			e.seenPIDs = map[int]bool{}
		}
		e.seenPIDs[h.PID] = true
	}
	return t
}

// Seen tells whether pid was one of the holders already acted on: a fresh
// holder whose parent was is a fork of a known leak.
func (e *Ender) Seen(pid int) bool { return e.seenPIDs[pid] }

// Leaks are every holder seen, in the order first seen.
func (e *Ender) Leaks() []*Leak { return e.ended }

func keyOf(p *Proc) procKey { return procKey{p.PID, p.Starttime} }
