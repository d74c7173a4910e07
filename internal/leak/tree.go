package leak

import (
	"strconv"

	"tinit/internal/procview"
	"tinit/internal/render"
)

// Tree draws the processes of hs and their ancestors up to the snapshot's
// self, one line each, so a person sees what leaked from where.
func Tree(s *procview.Snapshot, hs []*Holder) []string {
	mark := map[int]*Holder{}
	pids := make([]int, 0, len(hs))
	for _, h := range hs {
		mark[h.PID] = h
		pids = append(pids, h.PID)
	}
	var lines []string
	for _, row := range render.Tree(s, render.WithAncestors(s, pids)) {
		lines = append(lines, render.Line(row.Lead, row.P, "", Notes(mark[row.P.PID])))
	}
	return lines
}

// Notes say what h does to tinit's output; none for nil.
func Notes(h *Holder) []string {
	if h == nil {
		return nil
	}
	var ns []string
	for _, hd := range h.Holds {
		ns = append(ns, "holds "+hd.Stream+" (fd "+strconv.Itoa(hd.Fd)+")")
	}
	for _, f := range h.Feeds {
		ns = append(ns, "feeds "+strconv.Itoa(f))
	}
	if h.Relay {
		ns = append(ns, "relay")
	}
	if h.Unreadable {
		ns = append(ns, "its fds cannot be read")
	}
	return ns
}
