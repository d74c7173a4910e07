package leak

import (
	"time"

	"golang.org/x/sys/unix"

	"tinit/internal/procview"
)

// endRest is one round of ending the descendants left once the output is
// complete (or, without /proc, everything tinit can name, holders
// included): the Escalation's SIGTERM to each, then its SIGKILL every
// round. The clock may have started already, when the grace ended, for
// the bystanders (see endBystanders).
func (e *Ending) endRest(now time.Time) {
	snap, err := e.System.Scan()
	if err != nil {
		e.sayNoProc(err)
		started := e.rest.Started()
		if sig := e.rest.Next(now, &e.group); sig != 0 {
			e.sayRestStarts(started)
			e.signalReachable(sig)
		}
		return
	}
	left := snap.Descendants(snap.Self)
	for _, p := range left {
		e.escalate(now, p)
	}
	e.stuck = e.stuckOf(now, left)
}

// endBystanders is the rest's escalation, begun when the grace ends, for
// the descendants that hold none of the output, beside the holders or below
// a source: a leak that holds nothing is ended within the same bound as the
// holders are, not kill-after after them. Only what is below a relay left
// to finish waits for its relay: a relay's own children may be part of its
// work.
func (e *Ending) endBystanders(now time.Time, snap *procview.Snapshot, hs []*Holder) {
	holders := make(map[int]*Holder, len(hs))
	for _, h := range hs {
		holders[h.PID] = h
	}
	relayed := map[int]bool{}
	// Descendants come parents first, so a parent's mark is set before
	// its children are looked at.
	for _, p := range snap.Descendants(snap.Self) {
		if relayed[p.PPID] {
			relayed[p.PID] = true
			continue
		}
		if h := holders[p.PID]; h != nil {
			relayed[p.PID] = e.holders.leftToFinish(h)
			continue
		}
		e.escalate(now, p)
	}
}

// escalate gives p the signal the rest's Escalation says is due, and
// SIGCONT so that a stopped process meets it.
func (e *Ending) escalate(now time.Time, p *procview.Proc) {
	s := e.sent.of(p.Key())
	started := e.rest.Started()
	sig := e.rest.Next(now, s)
	if sig == 0 {
		return
	}
	e.sayRestStarts(started)
	switch e.System.Signal(p, sig) {
	case nil:
		e.holders.noteSignal(p.Key(), sig)
	case unix.EPERM:
		s.denied = true
	}
	_ = e.System.Signal(p, unix.SIGCONT)
	e.noteLeft(p, sig)
}

func (e *Ending) sayRestStarts(started bool) {
	if !started {
		e.Log.Info("ending the processes that are left")
	}
}

// signalDescendants sends sig, and SIGCONT so that a stopped process meets
// it, to every descendant /proc names, or without /proc to what kill(2)
// can reach.
func (e *Ending) signalDescendants(sig unix.Signal) {
	snap, err := e.System.Scan()
	if err == nil {
		for _, p := range snap.Descendants(snap.Self) {
			_ = e.System.Signal(p, sig)
			_ = e.System.Signal(p, unix.SIGCONT)
			e.noteLeft(p, sig)
		}
		return
	}
	e.sayNoProc(err)
	e.signalReachable(sig)
}

// signalReachable is signalDescendants without /proc. pid 1 can still
// name everything in its namespace; a subreaper can only name the main
// child's process group. ESRCH says the group is empty, and an empty group
// never fills again: its number is free, and may next name an unrelated
// group on the host.
func (e *Ending) signalReachable(sig unix.Signal) {
	if e.groupGone || !e.Pid1 && e.Group <= 0 {
		// No group to name (a pause has no main child): kill(-0)
		// would signal tinit's own group.
		e.groupGone = true
		return
	}
	target := -e.Group
	if e.Pid1 {
		target = -1
	}
	if e.System.Kill(target, sig) == unix.ESRCH {
		e.groupGone = true
		return
	}
	_ = e.System.Kill(target, unix.SIGCONT)
}

// outOfReach tells that the children left are beyond what tinit can end or
// reap. With /proc, that is when every descendant left has had its SIGKILL
// the reap allowance ago and is still there: it will not die (state D), may
// not be signalled (EPERM), or is a zombie only its tracer may reap. Without
// /proc, a subreaper signals only the main child's process group, so an
// orphan that left it (setsid) would keep tinit waiting for good: tinit
// stops waiting once the group's SIGKILL is due and kill(2) says the group
// is empty, which a round after the SIGKILL it is; or, if something in it
// will not die, the reap allowance after that.
func (e *Ending) outOfReach(now time.Time) bool {
	if !e.said.noProc {
		return e.stuck != nil
	}
	if e.Pid1 || !e.rest.Killing(now) {
		return false
	}
	return e.groupGone || now.Sub(e.rest.KillAt()) >= e.clocks.ReapAllowance()
}
