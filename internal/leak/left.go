package leak

import (
	"tinit/internal/procview"
	"tinit/internal/render"
)

// ReportLeft draws, before anything is signalled, every descendant left
// when a run with no output to wait for (a pause, -P) is told to stop:
// what the rest's ending is about to end. why opens the line. It tells
// whether it found any. Each is in Leaks from now on, with the last
// signal the rest sends it.
func (e *Ending) ReportLeft(why string) bool {
	snap, err := e.System.Scan()
	if err != nil {
		return false // endRest says why it cannot name them
	}
	left := snap.Descendants(snap.Self)
	if len(left) == 0 {
		return false
	}
	pids := make([]int, 0, len(left))
	e.leftBy = make(map[procview.Key]*Leak, len(left))
	for _, p := range left {
		pids = append(pids, p.PID)
		l := &Leak{Holder: Holder{Proc: p}}
		e.left = append(e.left, l)
		e.leftBy[p.Key()] = l
	}
	e.Log.Error(why, "; ", render.Plural(len(left), "process is", "processes are"), " left; ending ",
		render.Either(len(left), "it", "them"), ":")
	for _, row := range render.Tree(snap, render.WithAncestors(snap, pids)) {
		e.Log.Error("  " + render.Line(row.Lead, row.P, "", nil))
	}
	return true
}
