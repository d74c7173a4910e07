package leak

import (
	"time"

	"golang.org/x/sys/unix"

	"tinit/internal/procview"
)

// Ender ends leaked holders round by round. Sources (holders nobody feeds)
// follow one Escalation: SIGTERM (then SIGCONT, if stopped), and once the
// first SIGTERM is Clocks.TermToKill old, SIGKILL to every source still holding,
// newcomers forked meanwhile included. Relays get only SIGCONT, if stopped: they end by
// themselves at end of file, after passing on what they had read.
//
// A relay whose feeders are gone is left to finish while it delivers, however
// long that takes, and becomes a source only once it has written nothing for
// Clocks.RelayIdle. A relay that forks a new source feeding it after the ending
// began is a source at once: a loop around `x=$(sleep 1)` or
// subprocess.run(stdout=PIPE) reads from what it forks, and would otherwise
// fork forever.
type Ender struct {
	sys System
	esc Escalation
	// relayIdle is Clocks.RelayIdle.
	relayIdle time.Duration
	round     int
	killNow   bool
	tracks    map[procview.Key]*track
	byPID     map[int]*track // the latest process seen with each pid
	ended     []*Leak
	sent      record // shared with the rest's escalation (see record)
}

// NewEnder is an Ender that acts through sys, giving sources killAfter
// between SIGTERM and SIGKILL.
func NewEnder(sys System, killAfter time.Duration) *Ender {
	return newEnder(sys, ClocksFor(0, killAfter), record{})
}

func newEnder(sys System, c Clocks, sent record) *Ender {
	return &Ender{sys: sys, esc: Escalation{KillAfter: c.TermToKill}, relayIdle: c.RelayIdle,
		tracks: map[procview.Key]*track{}, byPID: map[int]*track{}, sent: sent}
}

type track struct {
	leak      *Leak
	round     int // the round it was first seen in
	wasRelay  bool
	source    bool      // a former relay that stalled or forks sources
	written   uint64    // a drained relay's write count at idleSince
	idleSince time.Time // since when a relay without feeders has written nothing
}

// Leak is a holder tinit had to act on, for the report: the holder as the
// scan that first found it saw it, which is what stderr drew, and the last
// signal tinit sent it. Later scans change neither its state nor its
// command line in the report, so the two always agree.
type Leak struct {
	Holder
	Signal string // "" when no signal reached it
}

// NewHolders tells which of hs this Ender has not seen before: the report
// shows each leaked process once, before anything is sent to it.
func (e *Ender) NewHolders(hs []*Holder) []*Holder {
	var fresh []*Holder
	for _, h := range hs {
		if e.tracks[h.Key()] == nil {
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
	e.round++
	byPID := make(map[int]*Holder, len(hs))
	for _, h := range hs {
		e.track(h)
		byPID[h.PID] = h
	}
	// A source first seen now that feeds its parent, a relay seen in an
	// earlier round, was forked by that relay while tinit was ending things,
	// to read from it. A relay that forks what writes elsewhere (xargs
	// running echo) stays a relay.
	for _, h := range hs {
		if t := e.tracks[h.Key()]; t.round == e.round && t.round > 1 && !h.Relay && feeds(h, byPID[h.PPID]) {
			if p := e.byPID[h.PPID]; p != nil && p.wasRelay && p.round < e.round {
				p.source = true
			}
		}
	}
	for _, h := range hs {
		if e.helpsRelay(h, byPID[h.PPID]) {
			continue
		}
		e.act(now, e.tracks[h.Key()], h)
		if stopped(h.State) {
			_ = e.sys.Signal(h.Proc, unix.SIGCONT)
		}
	}
}

// helpsRelay tells a source that a relay runs to pass its input on, as
// xargs runs echo, from a leak: it writes to the output, not back to its
// parent, and its parent is a relay still left to finish. Ending it would
// end the relay's work (xargs gives up when a child is killed); it is ended
// once its parent is no relay, or has gone and left it to tinit.
func (e *Ender) helpsRelay(h, parent *Holder) bool {
	if parent == nil || h.Relay || e.killNow || feeds(h, parent) {
		return false
	}
	pt := e.tracks[parent.Key()]
	return pt != nil && (parent.Relay || pt.wasRelay) && !pt.source
}

// feeds tells that h writes into a pipe its parent reads, through an fd it
// keeps across exec (see procview.Proc.KeptWrites).
func feeds(h, parent *Holder) bool {
	if parent == nil {
		return false
	}
	for ino := range h.KeptWrites {
		if parent.Reads[ino] != nil {
			return true
		}
	}
	return false
}

// stopped tells a job-control stop (T) or a tracing stop (t) from the
// kernel's state letter.
func stopped(state string) bool { return state == "T" || state == "t" }

// KillNow makes every later round SIGKILL every holder, relays included:
// the caller was told twice to stop.
func (e *Ender) KillNow() { e.killNow = true }

func (e *Ender) act(now time.Time, t *track, h *Holder) {
	if e.killNow {
		// On the record, so that what will not die is given up on the
		// reap allowance after this SIGKILL too.
		if s := e.sent.of(h.Key()); s.killAt.IsZero() {
			s.killAt = now
		}
		e.send(t, h, unix.SIGKILL)
		return
	}
	switch {
	case t.source:
	case h.Relay:
		t.wasRelay = true
		t.idleSince = time.Time{}
		return
	case t.wasRelay && e.delivering(now, t, h):
		return
	case t.wasRelay:
		t.source = true
	}
	if sig := e.esc.Next(now, e.sent.of(h.Key())); sig != 0 {
		e.send(t, h, sig)
	}
}

// leftToFinish tells a holder that is a relay the Ender leaves to pass on
// what it read: what it forks may be part of that work.
func (e *Ender) leftToFinish(h *Holder) bool {
	if e.killNow {
		return false
	}
	t := e.tracks[h.Key()]
	return h.Relay || t != nil && t.wasRelay && !t.source
}

// delivering tells whether a relay whose feeders are gone still passes its
// output on: it wrote since the last round, or waits in a write to a full
// pipe (tinit's own output may be slow to drain), or has been idle for less
// than Clocks.RelayIdle. A relay whose writes cannot be read is idle.
func (e *Ender) delivering(now time.Time, t *track, h *Holder) bool {
	n, blocked, ok := e.sys.Written(h.Proc)
	if t.idleSince.IsZero() || (ok && (n != t.written || blocked)) {
		t.idleSince, t.written = now, n
		return true
	}
	return now.Sub(t.idleSince) < e.relayIdle
}

func (e *Ender) send(t *track, h *Holder, sig unix.Signal) {
	switch err := e.sys.Signal(h.Proc, sig); err {
	case nil:
		t.leak.Signal = unix.SignalName(sig)
	case unix.EPERM:
		e.sent.of(h.Key()).denied = true
	}
}

func (e *Ender) track(h *Holder) *track {
	k := h.Key()
	t := e.tracks[k]
	if t == nil {
		t = &track{round: e.round, leak: &Leak{Holder: firstSeen(h)}}
		e.tracks[k] = t
		e.byPID[h.PID] = t
		e.ended = append(e.ended, t.leak)
	}
	return t
}

// noteSignal records, for the report, that sig reached a process whose fds
// cannot be read, which the rest's escalation ends as a bystander. A
// holder's signal in the report is the Ender's alone: a relay that has
// closed the output and is on its way out may still meet the rest's
// SIGTERM, which ended nothing of its work.
func (e *Ender) noteSignal(k procview.Key, sig unix.Signal) {
	if t := e.tracks[k]; t != nil && t.leak.Unreadable {
		t.leak.Signal = unix.SignalName(sig)
	}
}

// firstSeen is h without the fd tables of its process: the report never shows
// them, and with thousands of leaks they would be most of tinit's memory.
func firstSeen(h *Holder) Holder {
	p := *h.Proc
	p.Writes, p.Reads, p.KeptWrites = nil, nil, nil
	k := *h
	k.Proc = &p
	return k
}

// Seen tells whether pid was one of the holders already acted on: a fresh
// holder whose parent was is a fork of a known leak.
func (e *Ender) Seen(pid int) bool { return e.byPID[pid] != nil }

// Leaks are every holder seen, in the order first seen.
func (e *Ender) Leaks() []*Leak { return e.ended }
