package leak

import (
	"strconv"
	"time"

	"tinit/internal/procview"
	"tinit/internal/render"
)

// reportState is what the leak report on stderr has said so far.
type reportState struct {
	reported    bool      // the first holders have been drawn
	noProc      bool      // "cannot see which processes hold the output" was said
	forksUnsaid int       // holders forked by known leaks, not yet counted
	forksSaidAt time.Time // when they were last counted
}

// reportHolders prints, before anything is signalled, what holds the output.
// Later rounds only add what appeared since: a holder forked by a leak
// already shown is counted, not drawn, and the count is said at most once a
// second (see forkLine), so a fork loop cannot flood stderr; every one of
// them is still in --report.
func (e *Ending) reportHolders(snap *procview.Snapshot, fresh []*Holder, now, mainAt time.Time) {
	if !e.said.reported {
		e.said.reported = true
		ago := now.Sub(mainAt).Round(time.Millisecond).String()
		if held := holding(fresh); held > 0 {
			e.Log.Error("the main child exited ", ago, " ago, but ", render.Plural(held, "process is", "processes are"),
				" still holding its output; ending ", render.Either(len(fresh), "it", "them"), ":")
		} else {
			e.Log.Error("the main child exited ", ago, " ago, but its output is still open, and tinit may not read the fds of ",
				render.Plural(len(fresh), "process", "processes"), " that may hold it; ending ", render.Either(len(fresh), "it", "them"), ":")
		}
		e.drawTree(snap, fresh)
		return
	}
	var others []*Holder
	for _, h := range fresh {
		if e.holders.Seen(h.PPID) {
			e.said.forksUnsaid++
		} else {
			others = append(others, h)
		}
	}
	e.sayForks(now, false)
	if len(others) > 8 {
		e.Log.Error(strconv.Itoa(len(others)), " more processes now hold the output; ending them too")
	} else if len(others) > 0 {
		e.Log.Error(render.Plural(len(others), "process is", "processes are"), " now holding the output; ending ",
			render.Either(len(others), "it", "them"), ":")
		e.drawTree(snap, others)
	}
}

// holding counts the holders in hs that tinit saw holding the output, not
// those whose fds it may not read.
func holding(hs []*Holder) int {
	n := 0
	for _, h := range hs {
		if !h.Unreadable {
			n++
		}
	}
	return n
}

// forkLine is the least time between two lines that count the holders
// forked by known leaks: a loop forking every round gets one line a second,
// not twenty.
const forkLine = time.Second

// sayForks says how many holders forked by known leaks appeared since the
// last such line: at once for the first, then at most once per forkLine,
// and whatever is left when the output is complete (final).
func (e *Ending) sayForks(now time.Time, final bool) {
	s := &e.said
	if s.forksUnsaid == 0 || (!final && !s.forksSaidAt.IsZero() && now.Sub(s.forksSaidAt) < forkLine) {
		return
	}
	n := s.forksUnsaid
	s.forksUnsaid, s.forksSaidAt = 0, now
	e.Log.Error(render.Plural(n, "more process", "more processes"), " forked by those ", render.Either(n, "has", "have"),
		" held the output; ending ", render.Either(n, "it", "them"), " too")
}

func (e *Ending) drawTree(snap *procview.Snapshot, hs []*Holder) {
	for _, line := range Tree(snap, hs) {
		e.Log.Error("  " + line)
	}
}

// sayNoProc says once that /proc cannot name the holders, and what tinit
// signals instead.
func (e *Ending) sayNoProc(err error) {
	if e.said.noProc {
		return
	}
	e.said.noProc = true
	who := "the main child's process group"
	if e.Pid1 {
		who = "every other process in this pid namespace"
	}
	e.Log.Error("cannot see which processes hold the output (", err.Error(), "); ending ", who, " instead")
}

// leaveUnreachable says why tinit exits while descendants are left, and
// with /proc which they are and why each is: see outOfReach.
func (e *Ending) leaveUnreachable() {
	if e.said.noProc {
		e.Log.Error("descendants that left the main child's process group are still running; without /proc tinit cannot name them, so it exits without them")
		return
	}
	n := len(e.stuck)
	e.Log.Error(render.Plural(n, "process", "processes"), " will not die or cannot be reaped; exiting without ", render.Either(n, "it", "them"), ":")
	e.sayStuck(e.stuck)
}
