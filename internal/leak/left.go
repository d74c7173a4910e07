package leak

import (
	"tinit/internal/render"
)

// ReportLeft draws, before anything is signalled, every descendant left
// when a run with no output to wait for (a pause, -P) is told to stop:
// what the rest's ending is about to end. why opens the line. It tells
// whether it found any.
func (e *Ending) ReportLeft(why string) bool {
	snap, err := e.System.Scan()
	if err != nil {
		return false // Rest says why it cannot name them
	}
	left := snap.Descendants(snap.Self)
	if len(left) == 0 {
		return false
	}
	pids := make([]int, 0, len(left))
	for _, p := range left {
		pids = append(pids, p.PID)
	}
	e.Log.Error(why, "; ", render.Plural(len(left), "process is", "processes are"), " left; ending ",
		render.Either(len(left), "it", "them"), ":")
	for _, row := range render.Tree(snap, render.WithAncestors(snap, pids)) {
		e.Log.Error("  " + render.Line(row.Lead, row.P, "", nil))
	}
	return true
}
