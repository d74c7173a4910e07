package render

import (
	"strconv"
	"strings"
	"unicode"

	"tinit/internal/procview"
)

// Command is p's command line made safe to print: arguments that are empty
// or hold spaces, quotes or control characters are Go-quoted, so a process
// cannot write escape sequences onto the reader's terminal.
func Command(p *procview.Proc) string {
	if len(p.Cmdline) == 0 {
		return "[" + Quote(p.Comm) + "]"
	}
	parts := make([]string, len(p.Cmdline))
	total := 0
	for i, a := range p.Cmdline {
		if total > MaxLine {
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
func QuoteName(s string) string { return Clip(Quote(s), 200) }

// Clip cuts s to at most n bytes, at a character boundary, and says so.
func Clip(s string, n int) string {
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
