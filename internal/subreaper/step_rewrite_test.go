package subreaper

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"tinit/internal/leak/leaktest"
	"tinit/internal/procview"
)

// After the main child exited, tinit's stop rules see the rewritten
// signal: SIGUSR1 rewritten to SIGTERM cuts the grace short, SIGTERM
// rewritten to SIGUSR1 or dropped does not.
func TestStepRewriteMeetsStopRules(t *testing.T) {
	for _, c := range []struct {
		rewrite map[unix.Signal]unix.Signal
		sig     unix.Signal
		stops   bool
	}{
		{map[unix.Signal]unix.Signal{unix.SIGUSR1: unix.SIGTERM}, unix.SIGUSR1, true},
		{map[unix.Signal]unix.Signal{unix.SIGTERM: unix.SIGUSR1}, unix.SIGTERM, false},
		{map[unix.Signal]unix.Signal{unix.SIGTERM: 0}, unix.SIGTERM, false},
		{map[unix.Signal]unix.Signal{unix.SIGTERM: unix.SIGQUIT}, unix.SIGTERM, true},
	} {
		b := newStepBed(t)
		b.r.cfg.Rewrite = c.rewrite
		b.Show(leaktest.Sleeper(20, 1))
		b.mainExits()
		b.step(0, false, time.Second)
		b.r.forward(c.sig)
		if c.stops {
			b.step(100*time.Millisecond, false, scanInterval, "20:SIGTERM")
			b.r.forward(c.sig)
			b.ExpectSent(b.t, "20:SIGKILL", "20:SIGCONT")
		} else {
			b.step(100*time.Millisecond, false, 900*time.Millisecond)
			b.r.forward(c.sig)
			b.ExpectSent(b.t)
		}
	}
}

// newPauseBed is newStepBed as tinit -P runs: no main child, no output.
func newPauseBed(t *testing.T) *stepBed {
	b := newStepBed(t)
	b.r.cfg.Pause, b.r.mainPID, b.r.out = true, 0, noOutput{}
	b.r.drainedAt = b.r.start
	b.left = false
	b.r.children = false // the loop's first reap found none
	b.r.newEnding()
	return b
}

// A pause ignores every signal but SIGTERM and SIGINT; one of those ends
// it, and what it adopted gets the rest's SIGTERM, then SIGKILL
// kill-after later. tinit exits 0, with no main child in the report.
func TestStepPauseEndsOnTerm(t *testing.T) {
	b := newPauseBed(t)
	b.left = true // adopted after the loop's first reap, with no SIGCHLD
	orphan := &procview.Proc{PID: 40, PPID: 1, State: "S", Cmdline: []string{"daemon"}, Starttime: 40}
	b.Show(orphan)
	b.step(0, false, -1)
	for _, sig := range []unix.Signal{unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGTSTP} {
		b.r.forward(sig)
		b.ExpectSent(b.t)
		b.step(time.Second, false, -1)
	}
	b.r.forward(unix.SIGTERM)
	b.step(0, false, scanInterval, "40:SIGTERM", "40:SIGCONT")
	b.step(499*time.Millisecond, false, scanInterval)
	b.step(time.Millisecond, false, scanInterval, "40:SIGKILL", "40:SIGCONT")
	b.left = false
	b.step(10*time.Millisecond, true, 0)
	b.said("SIGTERM ended the pause; 1 process is left; ending it:",
		"  1 [sleeping] tinit",
		"  └─ 40 [sleeping] daemon",
		"ending the processes that are left")
	if st := b.r.finish(); st != 0 {
		t.Fatalf("status %d, want 0", st)
	}
	rep := b.r.report(0)
	if rep.Started || len(rep.Command) != 0 || len(rep.Leaked) != 1 || rep.Leaked[0].PID != 40 || rep.Leaked[0].Signal != "SIGKILL" {
		t.Fatalf("report %+v", rep)
	}
	b.r.l.Flush()
}

// A rewrite applies in a pause too, and a second stop kills what is left
// at once; with nothing adopted tinit exits in the step after the stop.
func TestStepPauseRewriteAndSecondStop(t *testing.T) {
	b := newPauseBed(t)
	b.r.cfg.Rewrite = map[unix.Signal]unix.Signal{unix.SIGUSR1: unix.SIGINT, unix.SIGTERM: 0}
	b.left = true
	b.Show(&procview.Proc{PID: 40, PPID: 1, State: "S", Cmdline: []string{"daemon"}, Starttime: 40})
	b.r.forward(unix.SIGTERM)
	b.step(time.Second, false, -1)
	b.r.forward(unix.SIGUSR1)
	b.step(0, false, scanInterval, "40:SIGTERM", "40:SIGCONT")
	b.r.forward(unix.SIGUSR1)
	b.ExpectSent(b.t, "40:SIGKILL", "40:SIGCONT")

	b = newPauseBed(t)
	b.Show()
	b.r.forward(unix.SIGINT)
	b.step(0, true, 0)
	b.said("SIGINT ended the pause; nothing is left")
}
