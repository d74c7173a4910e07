package render

import "tinit/internal/procview"

// Row is one process of a drawn tree: Lead is the branches before it.
type Row struct {
	P     *procview.Proc
	Lead  string
	Depth int
}

// Tree orders the processes in show as a tree, parents before their
// children, siblings by pid. The snapshot's self is always a root; so is a
// process whose parent is not shown, rather than being dropped.
func Tree(s *procview.Snapshot, show map[int]bool) []Row {
	children := map[int][]*procview.Proc{}
	var roots []*procview.Proc
	for pid := range show {
		p := s.Procs[pid]
		if p == nil {
			continue
		}
		if pid != s.Self && show[p.PPID] && s.Procs[p.PPID] != nil {
			children[p.PPID] = append(children[p.PPID], p)
		} else {
			roots = append(roots, p)
		}
	}
	procview.SortByPID(roots)
	// The snapshot's self comes first, whatever its pid: the others are
	// what it could not place below it.
	for i, r := range roots {
		if r.PID == s.Self {
			copy(roots[1:i+1], roots[:i])
			roots[0] = r
			break
		}
	}
	var rows []Row
	var walk func(p *procview.Proc, lead, branch string, depth int)
	walk = func(p *procview.Proc, lead, branch string, depth int) {
		rows = append(rows, Row{P: p, Lead: lead + branch, Depth: depth})
		kids := children[p.PID]
		procview.SortByPID(kids)
		next := lead
		switch branch {
		case "├─ ":
			next += "│  "
		case "└─ ":
			next += "   "
		}
		for i, k := range kids {
			b := "├─ "
			if i == len(kids)-1 {
				b = "└─ "
			}
			walk(k, next, b, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, "", "", 0)
	}
	return rows
}

// WithAncestors is show for the processes in pids and each of their
// ancestors up to the snapshot's self.
func WithAncestors(s *procview.Snapshot, pids []int) map[int]bool {
	show := map[int]bool{s.Self: true}
	for _, pid := range pids {
		for n := 0; n < len(s.Procs) && !show[pid]; n++ {
			show[pid] = true
			p := s.Procs[pid]
			if p == nil {
				break
			}
			pid = p.PPID
		}
	}
	return show
}
