package leak

import "time"

// Clocks are the end phase's waits, each under its own name, so that a
// reader sees which rule a wait belongs to and one can change without the
// others. --grace sets Grace, --kill-after the three after it (ClocksFor).
type Clocks struct {
	// Grace is how long the output has, once the main child exited, to
	// reach end of file before what holds it is ended; a stop signal
	// cuts it short (see Ending.Stop).
	Grace time.Duration
	// TermToKill is how long a process has between its SIGTERM and its
	// SIGKILL (see Escalation).
	TermToKill time.Duration
	// RelayIdle is how long a relay whose feeders are gone may pass
	// nothing on before it is ended as a source (see Ender.delivering).
	RelayIdle time.Duration
	// Unseen is how long the output may stay open, with no bytes waiting
	// in it, while no process that holds it can be found, before tinit
	// stops waiting for it (see Ending.giveUpIfUnseen).
	Unseen time.Duration
	// Round is how long Decide waits between two rounds of ending: often
	// enough that a fork loop cannot outrun tinit for long, rarely enough
	// that scanning /proc stays a small cost.
	Round time.Duration
}

// ClocksFor is the clocks --grace and --kill-after set.
func ClocksFor(grace, killAfter time.Duration) Clocks {
	return Clocks{Grace: grace, TermToKill: killAfter, RelayIdle: killAfter, Unseen: killAfter,
		Round: 50 * time.Millisecond}
}

// ReapAllowance is how long after its SIGKILL a process may take to die
// and be reaped before tinit gives up on it: what is still there then will
// not die (state D: a frozen cgroup, a hung NFS or FUSE mount), may not be
// signalled (EPERM), or cannot be reaped (a zombie only its tracer may reap
// first). Half a second, or TermToKill if that is shorter, so that tinit
// still ends within grace + kill-after + 1 s.
func (c Clocks) ReapAllowance() time.Duration {
	return min(c.TermToKill, 500*time.Millisecond)
}
