package leak

import "time"

// Decision is what Decide concludes. Whatever a round had to signal, its
// Escalation has signalled; the caller's loop only carries out the rest.
type Decision struct {
	Do Act
	// Wake is how long until Decide wants to run again, or NoTimer for
	// not until something happens. Nothing, with Exit.
	Wake time.Duration
}

// NoTimer is a Wake for no timer: only an event moves the run on.
const NoTimer time.Duration = -1

// Act is what the loop does with a Decision.
type Act int

const (
	// KeepWaiting: nothing to do until Wake or an event (the main child
	// runs, or the grace does).
	KeepWaiting Act = iota
	// End: this round sent what the Escalation called for; run another
	// at Wake.
	End
	// GiveUpOnOutput: what holds the output is beyond reach (stuck after
	// its SIGKILL, not to be found for Clocks.Unseen, or out of what tinit
	// can name without /proc). It is said once on stderr; the loop stops
	// waiting for end of file (it still delivers what the pipes hold),
	// counts the output as complete from now, and asks again at Wake.
	GiveUpOnOutput
	// Exit: nothing is left that tinit waits for.
	Exit
)
