package render

import (
	"strings"
	"testing"
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
