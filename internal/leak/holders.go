package leak

import (
	"slices"
	"sort"

	"tinit/internal/procview"
)

// Hold is one fd through which a process holds one of tinit's streams.
// Its tags are its form in the report and in `tinit ps --json`.
type Hold struct {
	Stream string `json:"stream"`
	Fd     int    `json:"fd"`
}

// Holder is a process that keeps one of tinit's pipes open: directly, or
// upstream, by writing into a pipe that a direct holder reads (a `tee` or
// `cat` relay is fed by the process that really leaked).
type Holder struct {
	*procview.Proc
	Holds []Hold // tinit's streams it holds itself
	Feeds []int  // holders it writes to through other pipes
	Relay bool   // it reads from another holder, so it ends by itself at EOF
	// Unreadable: its fds are not tinit's to read, so it may hold the
	// output or not. It is ended as a bystander, and reported as leaked.
	Unreadable bool
}

// Find finds every process that keeps one of the pipes in ours (inode ->
// stream name) from reaching end of file. Pipes are matched by inode, not by
// process group or session, so a setsid or double-forked daemon is found.
// Upstream of a relay, only tinit's descendants count: the relay may read a
// pipe that reaches tinit from outside, whose writer is not the test's.
func Find(s *procview.Snapshot, ours map[uint64]string) []*Holder {
	writers := map[uint64][]*procview.Proc{}
	for _, p := range s.Procs {
		for ino := range p.Writes {
			writers[ino] = append(writers[ino], p)
		}
	}
	mine := map[uint64]bool{}
	if self := s.Procs[s.Self]; self != nil {
		for ino := range self.Reads {
			mine[ino] = true
		}
		for ino := range self.Writes {
			mine[ino] = true
		}
	}
	found := map[int]*Holder{}
	visited := map[uint64]bool{}
	var queue []uint64
	for ino := range ours {
		visited[ino] = true
		queue = append(queue, ino)
	}
	for len(queue) > 0 {
		ino := queue[0]
		queue = queue[1:]
		stream, direct := ours[ino]
		for _, w := range writers[ino] {
			if w.PID == s.Self || (!direct && !s.IsDescendant(w.PID, s.Self)) {
				continue
			}
			h := found[w.PID]
			if h == nil {
				h = &Holder{Proc: w}
				found[w.PID] = h
			}
			if direct {
				for _, fd := range w.Writes[ino] {
					h.Holds = append(h.Holds, Hold{Stream: stream, Fd: fd})
				}
			}
			for in := range w.Reads {
				if !visited[in] && !mine[in] {
					visited[in] = true
					queue = append(queue, in)
				}
			}
		}
	}
	for _, h := range found {
		for ino := range h.Writes {
			if _, direct := ours[ino]; direct {
				continue
			}
			for _, r := range found {
				if r != h && r.Reads[ino] != nil {
					h.Feeds = append(h.Feeds, r.PID)
					r.Relay = true
				}
			}
		}
	}
	out := make([]*Holder, 0, len(found))
	for _, h := range found {
		sort.Ints(h.Feeds)
		h.Feeds = slices.Compact(h.Feeds) // one per relay, however many pipes lead there
		sort.Slice(h.Holds, func(i, j int) bool { return h.Holds[i].Fd < h.Holds[j].Fd })
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	// Relays feeding each other in a ring have no source outside it: then
	// every one of them is a source.
	for _, h := range out {
		if !h.Relay {
			return out
		}
	}
	for _, h := range out {
		h.Relay = false
	}
	return out
}
