package integration

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// evilArgv0 is the first word of the disguised leaker's command line.
const evilArgv0 = "\x1b[2J\x1b[31mEVIL\x1b[0m\r\n"

// maxReportLine bounds one line of tinit's stderr report: "tinit: ", the
// tree's indent and a clipped line of 240 bytes plus an ellipsis.
const maxReportLine = 256

// A leaker that renames itself (argv of terminal escapes, a 100 KB
// argument, a comm of escapes) and a child of it under the same disguise:
// tinit's report on stderr holds no control byte but the newlines ending
// its lines, no line longer than maxReportLine, and the JSON report keeps
// the exact command line.
func TestHostileEscapesInCommandLine(t *testing.T) {
	rep := filepath.Join(t.TempDir(), "report.json")
	r := runCmd(t, 60*time.Second, withEnv(nsArgv(t, "--grace", hostileGrace.String(),
		"--kill-after", hostileKillAfter.String(), "--report", rep, "--", "sh", "-c", `"$0" & exit 3`, hostile(t)),
		"HOSTILE_MODE=rename"))
	if r.Code != 3 || r.Stdout != "" {
		t.Fatalf("got code %d stdout %q, want 3 and nothing", r.Code, r.Stdout)
	}
	checkPrintable(t, r.Stderr)
	if !strings.Contains(r.Stderr, `"\x1b[2J\x1b[31mEVIL\x1b[0m\r\n" "\x1b]0;pwned\a"`) {
		t.Errorf("stderr does not show the command line quoted:\n%s", r.Stderr)
	}
	if n := strings.Count(r.Stderr, `EVIL`); n != 2 {
		t.Errorf("stderr names %d disguised processes, want 2:\n%s", n, r.Stderr)
	}
	b, _ := os.ReadFile(rep)
	if i := bytes.IndexFunc(b, func(r rune) bool { return r < 0x20 && r != '\n' }); i >= 0 {
		t.Errorf("the JSON report holds a raw control byte at %d", i)
	}
	rp := readReport(t, rep)
	if len(rp.Leaked) != 2 {
		t.Fatalf("report names %d leaked processes, want 2", len(rp.Leaked))
	}
	for _, l := range rp.Leaked {
		if len(l.Cmdline) != 3 || l.Cmdline[0] != evilArgv0 || len(l.Cmdline[2]) < 100000 {
			t.Errorf("report cmdline of %d: %d words, first %q; want the exact disguise", l.PID, len(l.Cmdline), l.Cmdline[0])
		}
	}
}

// checkPrintable fails on any byte or rune a terminal would act on: C0 and
// C1 controls, DEL, bidirectional overrides and invalid UTF-8.
func checkPrintable(t *testing.T, s string) {
	t.Helper()
	for n, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		if len(line) > maxReportLine {
			t.Errorf("line %d is %d bytes long, want at most %d: %.80q", n+1, len(line), maxReportLine, line)
		}
		if !utf8.ValidString(line) {
			t.Errorf("line %d is not valid UTF-8: %.80q", n+1, line)
		}
		for _, c := range line {
			if !unicode.IsPrint(c) && c != ' ' {
				t.Errorf("line %d holds %U: %.80q", n+1, c, line)
				break
			}
		}
	}
}
