package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The man pages live in docs/ as roff, written by hand; these tests keep
// their options and variables the same as --help's, so neither can drift.

// helpOption is one option line of a usage text: "  -p, --pdeathsig
// SIGNAL   the signal..." gives "-p, --pdeathsig SIGNAL".
var helpOption = regexp.MustCompile(`^ {2,6}((?:-[A-Za-z], )?--[a-z-]+(?: [A-Z]+(?::[A-Z]+)?)?) {2,}\S`)

func helpOptions(text string) []string {
	var got []string
	for _, line := range strings.Split(text, "\n") {
		if m := helpOption.FindStringSubmatch(line); m != nil {
			got = append(got, m[1])
		}
	}
	return got
}

// manTerms returns, for section sec of the roff page, the term of every
// .TP paragraph as it reads when rendered.
func manTerms(t *testing.T, page, sec string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", page))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	var got []string
	in := false
	for i, line := range lines {
		if strings.HasPrefix(line, ".SH ") {
			in = strings.Trim(strings.TrimPrefix(line, ".SH "), `"`) == sec
			continue
		}
		if in && line == ".TP" && i+1 < len(lines) {
			got = append(got, roffText(lines[i+1]))
		}
	}
	if len(got) == 0 {
		t.Fatalf("%s has no .TP entries in section %s", page, sec)
	}
	return got
}

// roffText renders one line of roff as plain text: the font macros' words
// (joined by spaces for .B and .I, side by side for .BR and the other
// alternating ones), with font escapes dropped and \- as -.
func roffText(line string) string {
	sep := " "
	if strings.HasPrefix(line, ".") {
		macro, rest, _ := strings.Cut(line, " ")
		if macro != ".B" && macro != ".I" {
			sep = ""
		}
		line = strings.Join(roffArgs(rest), sep)
	}
	line = regexp.MustCompile(`\\f[BIRP]`).ReplaceAllString(line, "")
	return strings.ReplaceAll(line, `\-`, "-")
}

// roffArgs splits a macro's arguments at spaces outside double quotes.
func roffArgs(s string) []string {
	var args []string
	var cur strings.Builder
	quoted, seen := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, seen = !quoted, true
		case r == ' ' && !quoted:
			if seen {
				args = append(args, cur.String())
			}
			cur.Reset()
			seen = false
		default:
			cur.WriteRune(r)
			seen = true
		}
	}
	if seen {
		args = append(args, cur.String())
	}
	return args
}

func TestManPageOptions(t *testing.T) {
	for _, c := range []struct{ page, help string }{
		{"tinit.1", usage()},
		{"tinit-ps.1", psUsage},
	} {
		want := helpOptions(c.help)
		if len(want) < 2 {
			t.Fatalf("found only %q in the usage text for %s", want, c.page)
		}
		if got := manTerms(t, c.page, "OPTIONS"); !slices.Equal(got, want) {
			t.Errorf("%s lists the options\n%q\nbut --help lists\n%q", c.page, got, want)
		}
	}
}

// TestManPageEnvironment checks that tinit(1) names every variable tinit
// reads, in the order --help does: TINIT_<KEY> for each option with a
// key, then tini's.
func TestManPageEnvironment(t *testing.T) {
	help := usage()
	var want []string
	for _, o := range options {
		if o.key == "" {
			continue
		}
		want = append(want, "TINIT_"+o.key)
		if !strings.Contains(help, o.key) {
			t.Errorf("--help does not name TINIT_%s", o.key)
		}
	}
	want = append(want, regexp.MustCompile(`TINI_[A-Z_]+`).FindAllString(help, -1)...)
	if got := manTerms(t, "tinit.1", "ENVIRONMENT"); !slices.Equal(got, want) {
		t.Errorf("tinit.1 lists the variables\n%q\nbut tinit reads\n%q", got, want)
	}
}

// TestManPageLint runs mandoc's checker on both pages: not a warning.
func TestManPageLint(t *testing.T) {
	if _, err := exec.LookPath("mandoc"); err != nil {
		t.Skip("mandoc is not installed")
	}
	out, err := exec.Command("mandoc", "-Tlint", "-W", "warning",
		filepath.Join("..", "..", "docs", "tinit.1"),
		filepath.Join("..", "..", "docs", "tinit-ps.1")).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Fatalf("mandoc -Tlint: %v\n%s", err, out)
	}
}
