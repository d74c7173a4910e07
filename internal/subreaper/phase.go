package subreaper

import "time"

// phase is where a run is in ending. It only moves forward, and only in
// advance; events (a reap, the end of the output, a stop signal) record
// what happened, and the next step draws the conclusion.
type phase int

const (
	childRunning  phase = iota // the main child runs
	grace                      // it exited; its output has cfg.Grace to reach end of file
	endingHolders              // grace is over or cut short: ending what holds the output
	endingRest                 // the output is complete: ending every descendant left
	done                       // nothing is left that tinit waits for
)

// advance moves the phase on as far as what has happened allows.
func (r *run) advance(now time.Time) {
	for next := r.next(now); next != r.phase; next = r.next(now) {
		r.enter(next, now)
	}
}

// next is the phase that follows r.phase now, or r.phase itself.
func (r *run) next(now time.Time) phase {
	complete := !r.drainedAt.IsZero()
	switch r.phase {
	case childRunning:
		switch {
		case r.mainAt.IsZero():
		case complete:
			return endingRest
		default:
			return grace
		}
	case grace:
		switch {
		case complete:
			return endingRest
		case r.stops > 0 || !now.Before(r.graceEnd()):
			// A stop signal after the main child exited cuts grace short.
			return endingHolders
		}
	case endingHolders:
		if complete {
			return endingRest
		}
	case endingRest:
		if !r.children || r.ending.OutOfReach(now) {
			return done
		}
	}
	return r.phase
}

// enter is the one place r.phase changes, and says so where it tells.
func (r *run) enter(p phase, now time.Time) {
	r.phase = p
	switch p {
	case grace:
		r.l.Info("waiting up to ", r.cfg.Grace.String(), " for its output to reach end of file")
	case endingRest:
		r.ending.OutputComplete(now)
	case done:
		if r.children {
			r.ending.LeaveUnreachable()
		}
	}
}

func (r *run) graceEnd() time.Time { return r.mainAt.Add(r.cfg.Grace) }
