package leak

import (
	"slices"
	"time"

	"tinit/internal/procview"

	"golang.org/x/sys/unix"
)

// Setup is what an Ending needs to know of the run.
type Setup struct {
	System System
	Log    Log
	Output Output
	// Grace and KillAfter are --grace and --kill-after, which set the
	// Clocks (ClocksFor).
	Grace, KillAfter time.Duration
	// Pid1: tinit is pid 1 of its namespace, so without /proc it can
	// still signal every process there (kill -1).
	Pid1 bool
	// Group is the main child's process group: all a subreaper without
	// /proc can name.
	Group int
}

// Ending is what tinit does, round by round, about the processes the main
// child left behind: once the grace is over, end the holders of the output,
// and beside them the bystanders that hold none of it (holdersRound), then,
// once the output is complete, every descendant left (endRest), and tell on
// stderr what it found and did. Which of them runs when, and when tinit is
// done, is Decide's to say.
type Ending struct {
	Setup
	clocks Clocks
	phase  phase
	// stops counts stop signals after the main child exited (see Stop).
	stops   int
	holders *Ender
	rest    Escalation
	sent    record // what each process has had, from either
	group   sent   // without /proc: what the group kill(2) names has had
	// groupGone: without /proc, kill said the group is empty, for good.
	groupGone bool
	// unseenSince is when holders were last seen, or bytes last waited in
	// a pipe; zero while either is the case.
	unseenSince time.Time
	gaveUp      bool
	// stuck is what the last round of endRest found left, when all of it
	// had its SIGKILL the reap allowance ago and is still there.
	stuck []*procview.Proc
	// looked are the descendants whose fds were checked for being
	// readable (see unreadable).
	looked map[procview.Key]bool
	// hidden tells, for each of them, whether tinit may not read its fds.
	hidden map[procview.Key]bool
	said   reportState
	// left are what ReportLeft drew, for the report, by key to record
	// the signals the rest sends them.
	left   []*Leak
	leftBy map[procview.Key]*Leak
}

// NewEnding is an Ending for the run s describes.
func NewEnding(s Setup) *Ending {
	sent := record{}
	c := ClocksFor(s.Grace, s.KillAfter)
	return &Ending{Setup: s, clocks: c, holders: newEnder(s.System, c, sent), rest: Escalation{KillAfter: c.TermToKill}, sent: sent}
}

// holdersRound is one round of ending what keeps the output open, mainAt
// being when the main child exited; children tells whether tinit has any
// child left. It signals what the round calls for, and tells, once, to give
// up on the output when what holds it is beyond reach (GiveUpOnOutput).
func (e *Ending) holdersRound(now, mainAt time.Time, children bool) (giveUp bool) {
	snap, err := e.System.ScanOwn()
	if err != nil {
		e.sayNoProc(err)
		e.endRest(now)
		if e.outOfReach(now) {
			// What tinit can name has had its SIGKILL: what still
			// holds the output is beyond reach, and waiting longer
			// would only stretch the bound.
			return e.giveUp()
		}
		return e.giveUpIfUnseen(now, !children)
	}
	hs := Find(snap, e.Output.Inodes())
	hidden := e.unreadable(snap, hs)
	if !e.said.reported && len(hs)+len(hidden) > 0 {
		// The first look at every fd table is the one round whose cost
		// grows with the fds open (a readlink each); later rounds read
		// only what changed.
		e.Log.Info("the first look for holders took ", e.System.Now().Sub(now).Round(time.Millisecond).String())
	}
	if fresh := e.holders.NewHolders(slices.Concat(hs, hidden)); len(fresh) > 0 {
		e.reportHolders(snap, fresh, now, mainAt)
	}
	for _, h := range hidden {
		e.holders.track(h)
	}
	e.holders.Round(now, hs)
	e.endBystanders(now, snap, hs)
	// One whose fds tinit may not read may be what holds the output, and
	// may write on, as fast as tinit reads, for good: once it is stuck,
	// too, the wait ends, bytes in the pipe or not.
	if e.giveUpOnHolders(now, slices.Concat(hs, hidden)) {
		return true
	}
	return e.giveUpIfUnseen(now, len(hs) == 0)
}

// giveUpIfUnseen tells when to stop waiting for a pipe that stays open
// while no process that could hold it can be found (it went to another pid
// namespace, say): after Clocks.Unseen of that, waiting longer would only hang
// the caller. Bytes still in a pipe stop the clock: they wait for a slow
// reader, not for a holder.
func (e *Ending) giveUpIfUnseen(now time.Time, unseen bool) bool {
	if !unseen || e.Output.Pending() {
		e.unseenSince = time.Time{}
		return false
	}
	if e.unseenSince.IsZero() {
		e.unseenSince = now
		return false
	}
	if now.Sub(e.unseenSince) < e.clocks.Unseen {
		return false
	}
	return e.giveUp()
}

// giveUp tells, once, to stop waiting for the output's end of file, unless
// bytes wait in a pipe for a slow reader. Giving up only stops the
// relay at an empty pipe; it still delivers everything it has.
func (e *Ending) giveUp() bool {
	if e.gaveUp || e.Output.Pending() {
		return false
	}
	e.gaveUp = true
	e.Log.Error("the output is still open, but no process that holds it can be found; not waiting for it any longer")
	return true
}

// killNow answers a second stop signal after the main child exited (see
// Stop): SIGKILL to every holder and every descendant at once, and in every
// round after, with no more waiting.
func (e *Ending) killNow(now time.Time) {
	e.Log.Error("told again to stop: killing every process that is left")
	e.holders.KillNow()
	e.rest.KillNow(now)
	e.signalDescendants(unix.SIGKILL)
}

// Leaks are every holder acted on, in the order first seen, then what
// ReportLeft drew.
func (e *Ending) Leaks() []*Leak {
	return append(append([]*Leak(nil), e.holders.Leaks()...), e.left...)
}

// noteLeft records sig as the last signal p got, if ReportLeft drew p.
func (e *Ending) noteLeft(p *procview.Proc, sig unix.Signal) {
	if l := e.leftBy[p.Key()]; l != nil {
		l.Signal = unix.SignalName(sig)
	}
}

// unreadable are the descendants whose fds tinit may not read (tinit runs
// unprivileged; they are undumpable, or another user's): whether they hold
// the output is unknown. They are ended as bystanders (endBystanders),
// reported as leaked so that what tinit says is true, and count as holders
// to give up on. Each process's fds are tried once.
func (e *Ending) unreadable(snap *procview.Snapshot, hs []*Holder) []*Holder {
	holds := make(map[int]bool, len(hs))
	for _, h := range hs {
		holds[h.PID] = true
	}
	if e.looked == nil {
		e.looked, e.hidden = map[procview.Key]bool{}, map[procview.Key]bool{}
	}
	var out []*Holder
	for _, p := range snap.Descendants(snap.Self) {
		k := p.Key()
		if !e.looked[k] && !holds[p.PID] && p.Writes == nil && p.Reads == nil {
			e.looked[k] = true
			e.hidden[k] = e.System.FdsHidden(p)
		}
		if e.hidden[k] {
			out = append(out, &Holder{Proc: p, Unreadable: true})
		}
	}
	return out
}
