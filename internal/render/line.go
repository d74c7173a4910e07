package render

import (
	"strconv"
	"strings"

	"tinit/internal/procview"
)

// MaxLine bounds one line of a tree: a command line can be megabytes.
const MaxLine = 240

// Line is one process's line after lead: pid, state (and age, when known),
// command, then notes on what it is and does to tinit's output after an
// arrow. Within MaxLine, a long command line is cut, never the notes, so
// what a process holds always shows.
func Line(lead string, p *procview.Proc, age string, notes []string) string {
	head := strconv.Itoa(p.PID) + " [" + StateName(p.State)
	if age != "" {
		head += ", " + age
	}
	head += "] "
	tail := ""
	if len(notes) > 0 {
		tail = "  <- " + strings.Join(notes, ", ")
	}
	room := max(MaxLine-len(lead)-len(head)-len(tail), 16)
	return lead + head + Clip(Command(p), room) + tail
}

// StateName is the kernel's state letter in words.
func StateName(s string) string {
	switch s {
	case "R":
		return "running"
	case "S", "I":
		return "sleeping"
	case "D":
		// Signals wait until it wakes: SIGKILL does not end it.
		return "uninterruptible"
	case "T", "t":
		return "stopped"
	case "Z":
		return "zombie"
	}
	return s
}

// Plural is "1 one" or "N many".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// Either is one for 1 and many for any other count.
func Either(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
