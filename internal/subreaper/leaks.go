package subreaper

import (
	"strconv"
	"time"
	"tinit/internal/leak"
	"tinit/internal/procview"

	"golang.org/x/sys/unix"
)

// endHolders is one round of ending the processes that keep the output pipes
// open after the grace period.
func (r *run) endHolders(now time.Time) {
	snap, err := procview.ScanOwn()
	if err != nil {
		r.sayNoProc(err)
		r.endRest(now)
		r.giveUpIfUnseen(now, !r.children || r.outOfReach(now))
		return
	}
	hs := leak.Find(snap, r.d.Inodes())
	if !r.reported && len(hs) > 0 {
		// The first look at every fd table is the one round whose cost
		// grows with the fds open (a readlink each); later rounds read
		// only what changed.
		r.l.Info("the first look for holders took ", time.Since(now).Round(time.Millisecond).String())
	}
	if fresh := r.ender.NewHolders(hs); len(fresh) > 0 {
		r.reportHolders(snap, fresh, now)
	}
	r.ender.Round(now, hs)
	r.giveUpIfUnseen(now, len(hs) == 0)
}

// reportHolders prints, before anything is signalled, what holds the output.
// Later rounds only add what appeared since: a holder forked by a leak
// already shown is counted, not drawn, and the count is said at most once a
// second (see forkLine), so a fork loop cannot flood stderr; every one of
// them is still in --report.
func (r *run) reportHolders(snap *procview.Snapshot, fresh []*leak.Holder, now time.Time) {
	if !r.reported {
		r.reported = true
		r.l.Error("the main child exited ", now.Sub(r.mainAt).Round(time.Millisecond).String(), " ago, but ",
			plural(len(fresh), "process is", "processes are"), " still holding its output; ending ",
			plural2(len(fresh), "it", "them"), ":")
		r.drawTree(snap, fresh)
		return
	}
	var others []*leak.Holder
	for _, h := range fresh {
		if r.ender.Seen(h.PPID) {
			r.forksUnsaid++
		} else {
			others = append(others, h)
		}
	}
	r.sayForks(now, false)
	if len(others) > 8 {
		r.l.Error(itoa(len(others)), " more processes now hold the output; ending them too")
	} else if len(others) > 0 {
		r.l.Error(plural(len(others), "process is", "processes are"), " now holding the output; ending ",
			plural2(len(others), "it", "them"), ":")
		r.drawTree(snap, others)
	}
}

// forkLine is the least time between two lines that count the holders
// forked by known leaks: a loop forking every round gets one line a second,
// not twenty.
const forkLine = time.Second

// sayForks says how many holders forked by known leaks appeared since the
// last such line: at once for the first, then at most once per forkLine,
// and whatever is left when the output is complete (final).
func (r *run) sayForks(now time.Time, final bool) {
	if r.forksUnsaid == 0 || (!final && !r.forksSaidAt.IsZero() && now.Sub(r.forksSaidAt) < forkLine) {
		return
	}
	n := r.forksUnsaid
	r.forksUnsaid, r.forksSaidAt = 0, now
	r.l.Error(plural(n, "more process", "more processes"), " forked by those ", plural2(n, "has", "have"),
		" held the output; ending ", plural2(n, "it", "them"), " too")
}

func (r *run) drawTree(snap *procview.Snapshot, hs []*leak.Holder) {
	for _, line := range leak.Tree(snap, hs) {
		r.l.write("  " + line)
	}
}

// giveUpIfUnseen ends the wait for a pipe that stays open while no process
// that could hold it can be found (it went to another pid namespace, say):
// after --kill-after of that, waiting longer would only hang the caller.
// Bytes still in a pipe stop the clock: they wait for a slow reader, not
// for a holder. Giving up only tells the forwarders to stop at an empty
// pipe; the loop still waits for them to deliver everything they have.
func (r *run) giveUpIfUnseen(now time.Time, unseen bool) {
	if !unseen || r.d.Pending() {
		r.unseenSince = time.Time{}
		return
	}
	if r.unseenSince.IsZero() {
		r.unseenSince = now
		return
	}
	if now.Sub(r.unseenSince) >= r.cfg.KillAfter && !r.d.Abandoned() {
		r.l.Error("the output is still open, but no process that holds it can be found; not waiting for it any longer")
		r.d.Abandon()
	}
}

// killNow answers a second stop signal after the main child exited, as a
// second Ctrl-C does in docker compose: SIGKILL to every holder and every
// descendant at once, and in every round after, with no more waiting.
// Later stop signals change nothing: a storm of them must not make the loop
// scan /proc once per signal; the rounds go on killing what is left.
func (r *run) killNow() {
	if r.killing {
		return
	}
	r.killing = true
	r.l.Error("told again to stop: killing every process that is left")
	r.ender.KillNow()
	r.signalDescendants(unix.SIGKILL)
}

// endRest ends the descendants left once the output is complete (or, without
// /proc, every descendant): SIGTERM, and SIGKILL after --kill-after.
func (r *run) endRest(now time.Time) {
	sig := unix.SIGTERM
	switch {
	case r.killing:
		if !r.restStarted {
			r.restStarted, r.restDeadline = true, now
		}
		sig = unix.SIGKILL
	case !r.restStarted:
		r.restStarted, r.restDeadline = true, now.Add(r.cfg.KillAfter)
		r.l.Info("ending the processes that are left")
	case now.Before(r.restDeadline):
		return
	default:
		sig = unix.SIGKILL
	}
	r.signalDescendants(sig)
}

func (r *run) signalDescendants(sig unix.Signal) {
	snap, err := procview.Scan(false)
	if err == nil {
		for _, p := range snap.Descendants(snap.Self) {
			_ = procview.Signal(p, sig)
			_ = procview.Signal(p, unix.SIGCONT)
		}
		return
	}
	r.sayNoProc(err)
	// Without /proc, pid 1 can still name everything in its namespace;
	// a subreaper can only name the main child's process group.
	// ESRCH says the group is empty, and an empty group never fills again:
	// its number is free, and may next name an unrelated group on the host.
	if r.groupGone {
		return
	}
	target := -r.mainPID
	if r.pid1 {
		target = -1
	}
	if unix.Kill(target, sig) == unix.ESRCH {
		r.groupGone = true
		return
	}
	_ = unix.Kill(target, unix.SIGCONT)
}

// outOfReach tells that the children left are beyond what tinit can name:
// a subreaper without /proc signals only the main child's process group, so
// an orphan that left it (setsid) would keep tinit waiting for good. Once
// the group has had SIGKILL and kill-after more, tinit stops waiting.
func (r *run) outOfReach(now time.Time) bool {
	return r.noProcSaid && !r.pid1 && r.restStarted && now.Sub(r.restDeadline) >= r.cfg.KillAfter
}

func (r *run) sayNoProc(err error) {
	if !r.noProcSaid {
		r.noProcSaid = true
		who := "the main child's process group"
		if r.pid1 {
			who = "every other process in this pid namespace"
		}
		r.l.Error("cannot see which processes hold the output (", err.Error(), "); ending ", who, " instead")
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return itoa(n) + " " + many
}

func plural2(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func itoa(n int) string { return strconv.Itoa(n) }
