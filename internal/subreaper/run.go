package subreaper

import (
	"errors"
	"os"
	"os/signal"
	"runtime/debug"
	"time"
	"tinit/internal/limits"
	"tinit/internal/report"
	"tinit/internal/state"
	"tinit/internal/tlog"

	"golang.org/x/sys/unix"

	"tinit/internal/drain"
	"tinit/internal/leak"
	"tinit/internal/render"
)

// reapBackstop bounds how long a lost SIGCHLD can hide a child's exit:
// qemu-user now and then never delivers one to an emulated tinit.
const reapBackstop = 250 * time.Millisecond

// Run runs cfg's command under tinit and returns tinit's exit status.
func Run(cfg Config) int {
	// Only the /proc scans that end leaks allocate much, and their garbage
	// is all that grows tinit's footprint: collecting at half the default
	// heap growth took the peak RSS with 2,000 leaked holders from 9.0 to
	// 7.5 MiB, in the same time.
	debug.SetGCPercent(50)
	l := tlog.New(cfg.Verbosity)
	defer l.Flush()
	r := &run{cfg: cfg, l: l, sys: osWorld{}, start: time.Now()}
	r.pid1 = becomeReaper(l)
	if err := setPdeathsig(cfg.Pdeathsig); err != nil {
		return r.failed(ExitFailure, "cannot set the parent-death signal: "+err.Error())
	}
	if cfg.Pause {
		r.sigs = listen(true)
		return r.pause()
	}
	// The threads are reserved before a handler goes in: os/signal's two
	// threads then come out of the reserve, and its round trips find idle
	// threads to hand over to. Reserved while the handlers went in, the
	// runtime made one to three threads more than it needed.
	limits.ReserveThreads()
	// The handlers go in while the pipes are made and the command is
	// found: each is a round trip to the runtime's signal thread, about a
	// millisecond for all of them, and only the child's start must wait.
	sigs := make(chan *signalSet, 1)
	go func() { sigs <- listen(false) }()
	r.tty = controllingTTY()
	dopts := cfg.Drain
	dopts.Log = func(m string) { l.Error(m) }
	d, err := drain.New(dopts)
	if err != nil {
		return r.failed(ExitFailure, err.Error())
	}
	r.out = d
	path, err := resolve(cfg.Argv[0])
	if err == nil {
		d.Launch()
		r.sigs = <-sigs
		out, errfd := d.ChildFds()
		r.mainPID, err = spawn(path, cfg.Argv, out, errfd, r.tty)
	}
	if err != nil {
		d.Close()
		code := ExitFailure
		var ee *execError
		if errors.As(err, &ee) {
			code = ee.code
		}
		return r.failed(code, err.Error())
	}
	// The error policy changes here, once. Until this line a failure ends
	// tinit before the child has run a thing: one `tinit: ...` line and a
	// status of tinit's own (r.failed, and parse and Preflight in
	// cmd/tinit): 127 when the command is not found, 126 when it cannot be
	// executed, 125 for a usage error or for anything of tinit's own (a
	// limit, an fd, a thread, a copy file it will not make). From here on
	// the child runs, and its status and output come first: a failure of
	// tinit's own (an output or copy file that breaks, a signal it may not
	// send, a process it cannot end, a report it cannot write) is a
	// warning, and tinit carries on to the child's status.
	//
	// Made now, not before, so that it takes one of the fds the start of
	// the child needed for a moment, not one more.
	r.state = state.New(d.Inodes(), r.mainPID)
	d.Start()
	r.sigs.childStarted()
	if r.tty {
		// Now that the child has its own dispositions, tinit may ignore
		// these outright: a caught SIGTTOU would restart a write to a
		// TOSTOP terminal forever.
		signal.Ignore(unix.SIGTTIN, unix.SIGTTOU)
	}
	// tinit must not pin the mount its working directory is on; the child
	// already has its own.
	_ = os.Chdir("/")
	l.Info("started ", render.Quote(cfg.Argv[0]), " as pid ", itoa(r.mainPID))
	return r.loop()
}

// run is the state of the one event loop.
type run struct {
	cfg   Config
	l     tlog.Logger
	sys   world
	pid1  bool
	tty   bool
	sigs  *signalSet
	out   output
	start time.Time
	state *state.File // what tinit ps reads

	mainPID  int
	mainWS   unix.WaitStatus
	mainAt   time.Time // when the main child was reaped; zero while it runs
	children bool
	// drainedAt is when the output was complete: both pipes at end of
	// file, or given up on; zero before. It may be before the main child
	// exits.
	drainedAt time.Time
	ending    *leak.Ending
}

// outputComplete notes that the output is complete, and tells, with -v,
// how: an abandoned pipe never reached end of file, and tinit goes on
// reading it until it exits.
func (r *run) outputComplete(now time.Time) {
	if !r.drainedAt.IsZero() {
		return
	}
	r.drainedAt = now
	if r.out.Abandoned() {
		r.l.Info("output complete: not waiting for end of file any longer, but the pipes are still open and read until tinit exits")
		return
	}
	r.l.Info("output complete: both pipes reached end of file")
}

// newEnding readies the ending of what the main child will leave.
func (r *run) newEnding() {
	r.ending = leak.NewEnding(leak.Setup{System: r.sys, Log: r.l, Output: r.out,
		Grace: r.cfg.Grace, KillAfter: r.cfg.KillAfter, Pid1: r.pid1, Group: r.mainPID})
}

func (r *run) loop() int {
	r.newEnding()
	timer := time.NewTimer(time.Hour)
	drainDone := r.out.Done()
	r.children = r.reap()
	for {
		d := r.step(r.sys.Now())
		if d.Do == leak.Exit {
			return r.finish()
		}
		wake := d.Wake
		if wake < 0 || wake > reapBackstop {
			wake = reapBackstop
		}
		timer.Reset(wake)
		select {
		case <-r.sigs.chld:
			r.children = r.reap()
		case <-r.sigs.wake:
			for _, s := range r.sigs.take() {
				r.forward(s)
			}
		case <-drainDone:
			drainDone = nil
			r.outputComplete(r.sys.Now())
		case <-timer.C:
			r.children = r.reap()
		}
	}
}

// step gathers what the loop knows, asks the ending what to do (leak's
// Decide, which also signals what a round calls for), and carries out the
// rest: giving up on the output, or exiting.
func (r *run) step(now time.Time) leak.Decision {
	if !r.drainedAt.IsZero() && !r.mainAt.IsZero() && r.children {
		// A child may have exited with its SIGCHLD still on the way:
		// a round of ending the rest would find nothing to end.
		r.children = r.reap()
	}
	d := r.ending.Decide(now, leak.Facts{MainAt: r.mainAt, CompleteAt: r.drainedAt, Children: r.children})
	if d.Do == leak.GiveUpOnOutput {
		r.out.Abandon()
		r.outputComplete(now)
	}
	return d
}

func (r *run) onReap(pid int, ws unix.WaitStatus, name string) {
	if pid == r.mainPID {
		r.mainWS, r.mainAt = ws, r.sys.Now()
		r.state.SetMain(0)
		r.l.Info("main child ", itoa(pid), " ", describe(ws))
		if r.tty {
			takeForeground(r.l)
		}
		return
	}
	if r.cfg.WarnOnReap {
		r.l.Warn("reaped orphan ", pidAndName(pid, name), ", which ", describe(ws))
	} else {
		r.l.Info("reaped orphan ", pidAndName(pid, name), ", which ", describe(ws))
	}
}

func (r *run) forward(sig unix.Signal) {
	if swallowed(sig, r.tty) {
		return
	}
	// A rewrite comes before every rule of tinit's own: tinit acts on
	// the signal as if the rewritten one had come.
	if to, ok := r.cfg.Rewrite[sig]; ok {
		if to == 0 {
			r.l.Debug("dropping ", SignalName(sig), " (--rewrite)")
			return
		}
		r.l.Debug("rewriting ", SignalName(sig), " to ", SignalName(to))
		sig = to
	}
	if r.cfg.Pause && r.mainAt.IsZero() {
		r.unpause(sig)
		return
	}
	if !r.mainAt.IsZero() {
		switch sig {
		case unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGQUIT:
			if r.ending.Stop(r.sys.Now()) {
				r.l.Info(SignalName(sig), " after the main child exited: ending what is left now")
			}
		}
		return
	}
	target := r.mainPID
	if r.cfg.Pgroup {
		target = -r.mainPID
	}
	r.l.Debug("forwarding ", SignalName(sig), " to ", itoa(target))
	if err := unix.Kill(target, sig); err != nil && err != unix.ESRCH {
		r.l.Warn("forwarding ", SignalName(sig), ": ", err.Error())
	}
}

func describe(ws unix.WaitStatus) string {
	if ws.Signaled() {
		return "was killed by " + unix.SignalName(ws.Signal())
	}
	return "exited with status " + itoa(ws.ExitStatus())
}

func (r *run) finish() int {
	// Whatever is already in an abandoned pipe is delivered before tinit
	// exits, however slowly its output is read.
	r.out.Finish()
	<-r.out.Done()
	status := finalStatus(r.mainWS, &r.cfg.RemapExit)
	if r.cfg.Report != "" {
		if err := report.Write(r.cfg.Report, r.report(status)); err != nil {
			r.l.Error("writing the report: ", err.Error())
		}
	}
	r.l.Info("exiting with status ", itoa(status))
	return status
}

func (r *run) report(status int) *report.Run {
	now := r.sys.Now()
	rep := &report.Run{
		Command:    r.cfg.Argv,
		ExitStatus: status,
		Started:    true,
		MainPID:    r.mainPID,
		MainMs:     r.mainAt.Sub(r.start).Milliseconds(),
		TotalMs:    now.Sub(r.start).Milliseconds(),
		Leaked:     r.ending.Leaks(),
		// The output may have ended before the main child did.
		DrainMs: max(0, r.drainedAt.Sub(r.mainAt).Milliseconds()),
	}
	if r.cfg.Pause {
		// No main child: the report says so with nulls, as for a run
		// that never started one.
		rep.Started = false
	}
	if r.mainWS.Signaled() {
		rep.MainSignal = unix.SignalName(r.mainWS.Signal())
	} else {
		rep.MainCode = r.mainWS.ExitStatus()
	}
	return rep
}
