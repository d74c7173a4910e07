package leak

import (
	"time"

	"golang.org/x/sys/unix"
)

// Rest is one round of ending the descendants left once the output is
// complete (or, without /proc, everything tinit can name, holders
// included): the Escalation's SIGTERM, then its SIGKILL every round.
func (e *Ending) Rest(now time.Time) {
	started := e.rest.Started()
	sig := e.rest.Next(now, started)
	if sig == 0 {
		return
	}
	if !started {
		e.Log.Info("ending the processes that are left")
	}
	e.signalDescendants(sig)
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
		}
		return
	}
	e.sayNoProc(err)
	// Without /proc, pid 1 can still name everything in its namespace;
	// a subreaper can only name the main child's process group.
	// ESRCH says the group is empty, and an empty group never fills again:
	// its number is free, and may next name an unrelated group on the host.
	if e.groupGone {
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
// an orphan that left it (setsid) would keep tinit waiting for good. Once
// the group has had SIGKILL due for KillAfter, tinit stops waiting.
func (e *Ending) OutOfReach(now time.Time) bool {
	return e.said.noProc && !e.Pid1 && e.rest.Started() && now.Sub(e.rest.KillAt()) >= e.KillAfter
}
