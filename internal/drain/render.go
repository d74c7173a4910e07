package drain

import (
	"strconv"
	"strings"
	"unicode"
)

// maxLine bounds one line of the tree: a command line can be megabytes.
const maxLine = 240

// RenderTree draws the processes of hs and their ancestors up to the snapshot's
// self, one line each, so a person sees what leaked from where.
func (s *Snapshot) RenderTree(hs []*Holder) []string {
	mark := map[int]*Holder{}
	show := map[int]bool{s.Self: true}
	for _, h := range hs {
		mark[h.PID] = h
		for pid, n := h.PID, 0; n < len(s.Procs) && !show[pid]; n++ {
			show[pid] = true
			p := s.Procs[pid]
			if p == nil {
				break
			}
			pid = p.PPID
		}
	}
	var lines []string
	for _, row := range s.layout(show) {
		lines = append(lines, describeFit(row.lead, row.p, "", mark[row.p.PID]))
	}
	return lines
}

// treeRow is one process of a drawn tree: lead is the branches before it.
type treeRow struct {
	p     *Proc
	lead  string
	depth int
}

// layout orders the processes in show as a tree, parents before their
// children, siblings by pid. The snapshot's self is always a root; so is a
// process whose parent is not shown, rather than being dropped.
func (s *Snapshot) layout(show map[int]bool) []treeRow {
	children := map[int][]*Proc{}
	var roots []*Proc
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
	sortByPID(roots)
	// The snapshot's self comes first, whatever its pid: the others are
	// what it could not place below it.
	for i, r := range roots {
		if r.PID == s.Self {
			copy(roots[1:i+1], roots[:i])
			roots[0] = r
			break
		}
	}
	var rows []treeRow
	var walk func(p *Proc, lead, branch string, depth int)
	walk = func(p *Proc, lead, branch string, depth int) {
		rows = append(rows, treeRow{p: p, lead: lead + branch, depth: depth})
		kids := children[p.PID]
		sortByPID(kids)
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

// describeFit is one process's line after lead: pid, state (and age, when
// known), command, then what it is and does to tinit's output after an
// arrow. The leak report and `tinit ps` both draw with it, so they look
// alike. Within maxLine, a long command line is cut, never the notes, so
// what a process holds always shows.
func describeFit(lead string, p *Proc, age string, h *Holder, marks ...string) string {
	head, notes := describeParts(p, age, h, marks)
	room := max(maxLine-len(lead)-len(head)-len(notes), 16)
	return lead + head + clipTo(Command(p), room) + notes
}

func describeParts(p *Proc, age string, h *Holder, marks []string) (head, notes string) {
	head = strconv.Itoa(p.PID) + " [" + stateName(p.State)
	if age != "" {
		head += ", " + age
	}
	head += "] "
	ns := append([]string(nil), marks...)
	if h != nil {
		for _, hd := range h.Holds {
			ns = append(ns, "holds "+hd.Stream+" (fd "+strconv.Itoa(hd.Fd)+")")
		}
		for _, f := range h.Feeds {
			ns = append(ns, "feeds "+strconv.Itoa(f))
		}
		if h.Relay {
			ns = append(ns, "relay")
		}
	}
	if len(ns) == 0 {
		return head, ""
	}
	return head, "  <- " + strings.Join(ns, ", ")
}

// Command is p's command line made safe to print: arguments that are empty
// or hold spaces, quotes or control characters are Go-quoted, so a process
// cannot write escape sequences onto the reader's terminal.
func Command(p *Proc) string {
	if len(p.Cmdline) == 0 {
		return "[" + Quote(p.Comm) + "]"
	}
	parts := make([]string, len(p.Cmdline))
	total := 0
	for i, a := range p.Cmdline {
		if total > maxLine {
			parts = parts[:i]
			break
		}
		parts[i] = Quote(a)
		total += len(parts[i]) + 1
	}
	return strings.Join(parts, " ")
}

// Quote leaves a plain word alone and Go-quotes anything else.
func Quote(s string) string {
	plain := s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !unicode.IsPrint(r) || unicode.IsSpace(r) || r == '"' || r == '\'' || r == '\\' || r == unicode.ReplacementChar
	})
	if plain {
		return s
	}
	return strconv.Quote(s)
}

// QuoteName is Quote for a name inside a one-line message: cut to 200
// bytes, so a 100 KB command name still gives a line a person can read.
func QuoteName(s string) string { return clipTo(Quote(s), 200) }

// clipTo cuts s to at most n bytes, at a character boundary, and says so.
func clipTo(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

func stateName(s string) string {
	switch s {
	case "R":
		return "running"
	case "S", "D", "I":
		return "sleeping"
	case "T", "t":
		return "stopped"
	case "Z":
		return "zombie"
	}
	return s
}
