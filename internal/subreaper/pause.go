package subreaper

import (
	"os"

	"golang.org/x/sys/unix"

	"tinit/internal/leak"
	"tinit/internal/state"
)

// pause is -P, catatonit's pause mode, which podman runs in every pod's
// infra container: no command, no pipes; the loop reaps what is
// reparented to tinit until SIGTERM or SIGINT. That stop is the moment a
// run's main child would have exited, with its output already complete:
// what is left gets the rest's SIGTERM, then SIGKILL kill-after later, a
// second stop signal kills it at once, and tinit exits 0 once it is gone.
func (r *run) pause() int {
	r.out = noOutput{}
	r.drainedAt = r.start
	r.state = state.NewPause()
	r.sigs.childStarted()
	_ = os.Chdir("/")
	r.l.Info("pausing: reaping orphans until SIGTERM or SIGINT")
	return r.loop()
}

// unpause takes a signal while tinit pauses: SIGTERM and SIGINT end the
// pause, as in catatonit, and count as the first stop signal; any other
// has no child to go to.
func (r *run) unpause(sig unix.Signal) {
	if sig != unix.SIGTERM && sig != unix.SIGINT {
		r.l.Debug("pausing: no child to forward ", SignalName(sig), " to")
		return
	}
	r.mainAt = r.sys.Now()
	r.ending.Stop(r.mainAt)
	// Orphans are adopted without a SIGCHLD: only a reap tells whether
	// any is here now.
	r.children = r.reap()
	if !r.ending.ReportLeft(SignalName(sig) + " ended the pause") {
		r.l.Info(SignalName(sig), " ended the pause; nothing is left")
	}
}

// noOutput is the output of a pause: none, complete from the start.
type noOutput struct{}

func (noOutput) Inodes() map[uint64]string { return nil }
func (noOutput) Pending() bool             { return false }
func (noOutput) Done() <-chan struct{}     { return closedDone }
func (noOutput) Abandon()                  {}
func (noOutput) Abandoned() bool           { return false }
func (noOutput) Finish()                   {}

// closedDone is a pause's Done: there is nothing to wait for, and the
// loop's exit must not wait on a channel that never closes.
var closedDone = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

var _ leak.Output = noOutput{}
