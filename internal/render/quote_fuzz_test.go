package render

import (
	"strings"
	"testing"
	"tinit/internal/procview"
	"unicode"
	"unicode/utf8"
)

// checkSafe fails when s holds anything a terminal would act on: a C0 or
// C1 control, DEL, a bidirectional override or other non-printing rune, or
// invalid UTF-8. A process names itself: its command line must not be able
// to write escape sequences onto the terminal of whoever reads the report.
func checkSafe(t *testing.T, what, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("%s is not valid UTF-8: %q", what, s)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) && r != ' ' {
			t.Fatalf("%s holds %U: %q", what, r, s)
		}
	}
}

// FuzzQuote: Quote makes any bytes printable, and leaves words that need
// no quoting alone.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", "sleep", "a b", "\x1b[31mred", "\x9b2J", "\u202eevil", "\xff\xfe", "tab\there", "naïve"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := Quote(s)
		checkSafe(t, "Quote", q)
		if q != s && !strings.HasPrefix(q, `"`) {
			t.Fatalf("Quote(%q) = %q: changed but not quoted", s, q)
		}
	})
}

// FuzzRender: a leaked process and its child, both named by arbitrary
// bytes (argv words split at NUL as in /proc/PID/cmdline, and a comm for
// the one without a command line, as a zombie has): every line of the tree
// is safe to print and at most MaxLine bytes plus the ellipsis, notes
// included.
func FuzzRender(f *testing.F) {
	f.Add("sleep\x001000", "sleep")
	f.Add("\x1b[2J\x1b[31mEVIL\x1b[0m\r\n\x00\x1b]0;pwned\a", "\x1b[5m\a\n")
	f.Add(strings.Repeat("\x1b[1mA very long line\x9b\u202e", 300), "x")
	f.Add(strings.Repeat("€", 500), "\xff")
	f.Fuzz(func(t *testing.T, cmdline, comm string) {
		leaker := &procview.Proc{PID: 7, PPID: 1, State: "S", Comm: comm, Cmdline: strings.Split(cmdline, "\x00")}
		child := &procview.Proc{PID: 9, PPID: 7, State: "Z", Comm: comm}
		snap := &procview.Snapshot{Self: 1, Procs: map[int]*procview.Proc{
			1: {PID: 1, State: "S", Comm: "tinit", Cmdline: []string{"tinit", "--", cmdline}},
			7: leaker, 9: child,
		}}
		notes := map[int][]string{7: {"holds stdout (fd 1)", "holds stderr (fd 2)", "feeds 9"}, 9: {"holds stdout (fd 1)", "relay"}}
		rows := Tree(snap, WithAncestors(snap, []int{7, 9}))
		if len(rows) != 3 {
			t.Fatalf("tree has %d rows, want 3", len(rows))
		}
		for _, r := range rows {
			l := Line(r.Lead, r.P, "", notes[r.P.PID])
			checkSafe(t, "tree line", l)
			if len(l) > MaxLine+len("…") {
				t.Fatalf("tree line is %d bytes, want at most %d: %q", len(l), MaxLine+len("…"), l)
			}
		}
		checkSafe(t, "Command", Command(leaker))
		checkSafe(t, "Command", Command(child))
	})
}
