package procview

import "sort"

// Descendants are the processes below pid, children before grandchildren.
func (s *Snapshot) Descendants(pid int) []*Proc {
	children := s.children()
	var out []*Proc
	queue := []int{pid}
	for len(queue) > 0 {
		for _, c := range children[queue[0]] {
			out = append(out, c)
			queue = append(queue, c.PID)
		}
		queue = queue[1:]
	}
	return out
}

func (s *Snapshot) children() map[int][]*Proc {
	m := map[int][]*Proc{}
	for _, p := range s.Procs {
		if p.PID != p.PPID {
			m[p.PPID] = append(m[p.PPID], p)
		}
	}
	for _, c := range m {
		SortByPID(c)
	}
	return m
}

// IsDescendant tells whether pid is below of.
func (s *Snapshot) IsDescendant(pid, of int) bool {
	for seen := 0; seen < len(s.Procs); seen++ {
		p, ok := s.Procs[pid]
		if !ok || p.PPID == 0 {
			return false
		}
		if p.PPID == of {
			return true
		}
		pid = p.PPID
	}
	return false
}

// SortByPID orders ps by pid.
func SortByPID(ps []*Proc) {
	sort.Slice(ps, func(i, j int) bool { return ps[i].PID < ps[j].PID })
}
