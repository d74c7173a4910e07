package subreaper

import (
	"golang.org/x/sys/unix"

	"tinit/internal/leak"
)

// world is what the loop and leak's decisions ask of the outside: the
// clock, /proc and signals (leak.System), and reaping. osWorld is the real
// one; tests of step fake it, so that the loop's part runs in
// microseconds, with no process and no sleep.
type world interface {
	leak.System
	// reap is reapAll: it reaps every child that has exited and tells
	// whether any is left.
	reap(named bool, onReap func(pid int, ws unix.WaitStatus, name string)) (children bool)
}

type osWorld struct{ leak.OS }

func (osWorld) reap(named bool, onReap func(int, unix.WaitStatus, string)) bool {
	return reapAll(named, onReap)
}

// output is what the loop needs of the drain: when both pipes reach end of
// file, what the holders hold, and a way to stop waiting for them.
type output interface {
	leak.Output
	Done() <-chan struct{}
	// Abandon stops the wait for an end of file that may never come;
	// the relay goes on reading until Finish.
	Abandon()
	// Abandoned tells whether Abandon was called: the output then counts
	// as complete, though it never reached end of file.
	Abandoned() bool
	// Finish, as tinit exits, ends the relay's abandoned pipes once
	// they have delivered what is in them; Done is closed then.
	Finish()
}
