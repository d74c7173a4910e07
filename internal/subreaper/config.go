package subreaper

import (
	"time"

	"golang.org/x/sys/unix"

	"tinit/internal/drain"
)

// Config is one run of tinit, as the command line and environment set it.
type Config struct {
	Argv      []string    // the command and its arguments; none with Pause
	Pgroup    bool        // -g: forward signals to the child's process group
	Pdeathsig unix.Signal // -p: tinit's own parent-death signal; 0 for none
	// Rewrite is -r: a signal tinit receives counts as its value, 0 for
	// none, before any rule of tinit's own looks at it.
	Rewrite map[unix.Signal]unix.Signal
	// Pause is -P: no command; sleep, reap, and end on SIGTERM or SIGINT.
	Pause      bool
	RemapExit  [256]bool // -e: these exit codes count as 0
	Verbosity  int       // -v
	WarnOnReap bool      // -w
	KillAfter  time.Duration
	Grace      time.Duration
	Drain      drain.Options
	Report     string // --report PATH
}

// Exit statuses of tinit's own, beside the child's: only before the child
// starts (the error policy is stated once, in Run).
const (
	ExitNotFound  = 127 // the command does not exist
	ExitCannotRun = 126 // it exists but cannot be executed
	ExitFailure   = 125 // tinit's own failure or a usage error
)
