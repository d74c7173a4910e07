package leak

import (
	"time"

	"golang.org/x/sys/unix"

	"tinit/internal/procview"
)

// Rest is one round of ending the descendants left once the output is
// complete (or, without /proc, everything tinit can name, holders
// included): the Escalation's SIGTERM to each, then its SIGKILL every
// round. The clock may have started already, when the grace ended, for
// the bystanders (see endBystanders).
func (e *Ending) Rest(now time.Time) {
	snap, err := e.System.Scan()
	if err != nil {
		e.sayNoProc(err)
		started := e.rest.Started()
		if sig := e.rest.Next(now, started); sig != 0 {
			e.sayRestStarts(started)
			e.signalReachable(sig)
		}
		return
	}
	for _, p := range snap.Descendants(snap.Self) {
		e.escalate(now, p)
	}
}

// endBystanders is the rest's escalation, begun when the grace ends, for
// the descendants that hold none of the output and are not below a holder:
// a leak beside the holders is ended within the same bound as they are,
// not kill-after after them. What is below a holder is left to the
// holder's ending: a relay's own children may be part of its work.
func (e *Ending) endBystanders(now time.Time, snap *procview.Snapshot, hs []*Holder) {
	below := make(map[int]bool, len(hs))
	for _, h := range hs {
		below[h.PID] = true
	}
	// Descendants come parents first, so a parent's mark is set before
	// its children are looked at.
	for _, p := range snap.Descendants(snap.Self) {
		if below[p.PID] || below[p.PPID] {
			below[p.PID] = true
			continue
		}
		e.escalate(now, p)
	}
}

// escalate gives p the signal the rest's Escalation says is due, and
// SIGCONT so that a stopped process meets it.
func (e *Ending) escalate(now time.Time, p *procview.Proc) {
	k := p.Key()
	started := e.rest.Started()
	sig := e.rest.Next(now, e.termed[k])
	if sig == 0 {
		return
	}
	e.sayRestStarts(started)
	if sig == unix.SIGTERM {
		if e.termed == nil {
			e.termed = map[procview.Key]bool{}
		}
		e.termed[k] = true
	}
	_ = e.System.Signal(p, sig)
	_ = e.System.Signal(p, unix.SIGCONT)
	e.sent(p, sig)
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
			e.sent(p, sig)
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

// OutOfReach tells that the children left are beyond what tinit can name:
// a subreaper without /proc signals only the main child's process group, so
// an orphan that left it (setsid) would keep tinit waiting for good. tinit
// stops waiting once the group's SIGKILL is due and kill(2) says the group
// is empty, which a round after the SIGKILL it is; or, if something in it
// will not die (stuck in the kernel), KillAfter after that.
func (e *Ending) OutOfReach(now time.Time) bool {
	if !e.said.noProc || e.Pid1 || !e.rest.Killing(now) {
		return false
	}
	return e.groupGone || now.Sub(e.rest.KillAt()) >= e.KillAfter
}
