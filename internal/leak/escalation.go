package leak

import (
	"time"

	"golang.org/x/sys/unix"
)

// Escalation is the one rule by which tinit ends what is left: SIGTERM
// first, then SIGKILL once KillAfter has passed since the first SIGTERM, or
// at once after KillNow. The Ender follows it for the sources that hold the
// output, endRest for every other descendant, each on a clock of its own; what
// each process has had is in one record both share, so a process that moves
// from one to the other is never sent a second SIGTERM.
type Escalation struct {
	KillAfter time.Duration // Clocks.TermToKill
	killAt    time.Time     // when SIGKILL is due; zero before the first SIGTERM
}

// Next is the signal due now for a target that has had what s says, or 0
// for none yet, and notes it in s. The first SIGTERM starts the clock; a
// target first met later still gets a SIGTERM of its own until SIGKILL is
// due, and SIGKILL then, however recently it was met. A target that had
// its SIGTERM elsewhere (on the other clock) gets SIGKILL KillAfter after
// that SIGTERM, if this clock does not make it due sooner.
func (e *Escalation) Next(now time.Time, s *sent) unix.Signal {
	termed := !s.termAt.IsZero()
	switch {
	case e.Killing(now), termed && !now.Before(s.termAt.Add(e.KillAfter)):
		if s.killAt.IsZero() {
			s.killAt = now
		}
		return unix.SIGKILL
	case termed:
		return 0
	}
	if e.killAt.IsZero() {
		e.killAt = now.Add(e.KillAfter)
	}
	s.termAt = now
	return unix.SIGTERM
}

// Started tells whether the first SIGTERM (or a KillNow) has been given.
func (e *Escalation) Started() bool { return !e.killAt.IsZero() }

// Killing tells whether SIGKILL is due.
func (e *Escalation) Killing(now time.Time) bool { return e.Started() && !now.Before(e.killAt) }

// KillAt is when SIGKILL is or was due; zero before anything started.
func (e *Escalation) KillAt() time.Time { return e.killAt }

// KillNow makes SIGKILL due from now on: tinit was told twice to stop.
func (e *Escalation) KillNow(now time.Time) {
	if !e.Started() || now.Before(e.killAt) {
		e.killAt = now
	}
}
