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
	var lines []string
	var walk func(p *Proc, lead, branch string)
	walk = func(p *Proc, lead, branch string) {
		lines = append(lines, clip(lead+branch+describe(p, mark[p.PID])))
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
			walk(k, next, b)
		}
	}
	for _, r := range roots {
		walk(r, "", "")
	}
	return lines
}

func describe(p *Proc, h *Holder) string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(p.PID) + " [" + stateName(p.State) + "] " + Command(p))
	if h == nil {
		return b.String()
	}
	var notes []string
	for _, hd := range h.Holds {
		notes = append(notes, "holds "+hd.Stream+" (fd "+strconv.Itoa(hd.Fd)+")")
	}
	for _, f := range h.Feeds {
		notes = append(notes, "feeds "+strconv.Itoa(f))
	}
	if h.Relay {
		notes = append(notes, "relay")
	}
	return b.String() + "  <- " + strings.Join(notes, ", ")
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

func clip(s string) string {
	if len(s) <= maxLine {
		return s
	}
	cut := maxLine
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
