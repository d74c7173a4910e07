package leak

import "time"

// Facts are what the caller's loop knows of the run when it asks Decide.
type Facts struct {
	MainAt time.Time // when the main child exited; zero while it runs
	// CompleteAt is when the output was complete: both pipes at end of
	// file, or given up on (GiveUpOnOutput); zero before. It may be
	// before MainAt.
	CompleteAt time.Time
	Children   bool // whether tinit has any child left
}

// phase is where a run is in ending. It only moves forward, and only in
// advance; facts and stop signals record what happened, and Decide draws
// the conclusion.
type phase int

const (
	childRunning  phase = iota // the main child runs
	grace                      // it exited; its output has Clocks.Grace to reach end of file
	endingHolders              // grace is over or cut short: ending what holds the output
	endingRest                 // the output is complete: ending every descendant left
	done                       // nothing is left that tinit waits for
)

// Decide is the one place the end of a run is decided: it moves the phase
// on as far as f and the stop signals allow, runs the round the phase
// calls for, and tells the loop what is left for it to do.
func (e *Ending) Decide(now time.Time, f Facts) Decision {
	for next := e.next(now, f); next != e.phase; next = e.next(now, f) {
		e.enter(next, now, f)
	}
	switch e.phase {
	case childRunning:
		return Decision{Do: KeepWaiting, Wake: NoTimer}
	case grace:
		return Decision{Do: KeepWaiting, Wake: e.graceEnd(f).Sub(now)}
	case endingHolders:
		if e.holdersRound(now, f.MainAt, f.Children) {
			return Decision{Do: GiveUpOnOutput, Wake: e.clocks.Round}
		}
		return Decision{Do: End, Wake: e.clocks.Round}
	case endingRest:
		e.endRest(now)
		return Decision{Do: End, Wake: e.clocks.Round}
	}
	return Decision{Do: Exit}
}

// next is the phase that follows e.phase now, or e.phase itself.
func (e *Ending) next(now time.Time, f Facts) phase {
	complete := !f.CompleteAt.IsZero()
	switch e.phase {
	case childRunning:
		switch {
		case f.MainAt.IsZero():
		case complete:
			return endingRest
		default:
			return grace
		}
	case grace:
		switch {
		case complete:
			return endingRest
		case e.stops > 0 || !now.Before(e.graceEnd(f)):
			// A stop signal after the main child exited cuts grace short.
			return endingHolders
		}
	case endingHolders:
		if complete {
			return endingRest
		}
	case endingRest:
		if !f.Children || e.outOfReach(now) {
			return done
		}
	}
	return e.phase
}

// enter is the one place e.phase changes, and says so where it tells.
func (e *Ending) enter(p phase, now time.Time, f Facts) {
	e.phase = p
	switch p {
	case grace:
		e.Log.Info("waiting up to ", e.clocks.Grace.String(), " for its output to reach end of file")
	case endingRest:
		// The forks not yet counted on stderr are counted now.
		e.sayForks(now, true)
	case done:
		if f.Children {
			e.leaveUnreachable()
		}
	}
}

func (e *Ending) graceEnd(f Facts) time.Time { return f.MainAt.Add(e.clocks.Grace) }

// Stop records a stop signal (SIGTERM, SIGINT, SIGHUP, SIGQUIT) after the
// main child exited, and tells whether it is the first: that one cuts the
// grace short, and the caller says which signal it was. The second kills
// everything left at once, as a second Ctrl-C does in docker compose;
// later ones change nothing, so a storm of them cannot make the loop scan
// /proc per signal.
func (e *Ending) Stop(now time.Time) (first bool) {
	e.stops++
	if e.stops == 2 {
		e.killNow(now)
	}
	return e.stops == 1
}
