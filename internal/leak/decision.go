package leak

// Decision is what a round of ending holders concludes about waiting for
// the output. The round itself has already signalled what it had to (its
// Escalation); the caller's loop only acts on what it returns.
type Decision int

const (
	// KeepWaiting: something may still close the output; run another
	// round.
	KeepWaiting Decision = iota
	// GiveUpOnOutput: what holds the output is beyond reach (stuck after
	// its SIGKILL, not to be found for Clocks.Unseen, or out of what tinit
	// can name without /proc). It is said once on stderr; the caller stops
	// waiting for end of file, and still delivers what the pipes hold.
	GiveUpOnOutput
)
