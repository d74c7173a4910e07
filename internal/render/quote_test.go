package render

import (
	"testing"

	"tinit/internal/procview"
)

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"sleep":          "sleep",
		"--grace=2s":     "--grace=2s",
		"héllo":          "héllo",
		"":               `""`,
		"two words":      `"two words"`,
		"it's":           `"it's"`,
		`a"b`:            `"a\"b"`,
		`back\slash`:     `"back\\slash"`,
		"\x1b[31mred":    `"\x1b[31mred"`,
		"tab\there":      `"tab\there"`,
		"bad\xffbyte":    `"bad\xffbyte"`,
		"new\nline":      `"new\nline"`,
		"\u202eevil":     `"\u202eevil"`,
		"nbsp\u00a0here": `"nbsp\u00a0here"`,
	} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestCommand(t *testing.T) {
	p := &procview.Proc{Comm: "kworker/0:1", Cmdline: nil}
	if got := Command(p); got != "[kworker/0:1]" {
		t.Fatalf("no cmdline: %q", got)
	}
	p.Comm = "evil\x1b]0;x\x07"
	if got := Command(p); got != `["evil\x1b]0;x\a"]` {
		t.Fatalf("control characters in comm: %q", got)
	}
	p.Cmdline = []string{"sh", "-c", "sleep 1000 & wait"}
	if got := Command(p); got != `sh -c "sleep 1000 & wait"` {
		t.Fatalf("cmdline: %q", got)
	}
	p.Cmdline = make([]string, 10000)
	for i := range p.Cmdline {
		p.Cmdline[i] = "arg"
	}
	if got := Command(p); len(got) > 2*MaxLine {
		t.Fatalf("a huge command line stays %d bytes", len(got))
	}
}
