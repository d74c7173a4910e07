package integration

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// psMatch fails unless every line of got matches the pattern on the same
// line of want, and there are as many.
func psMatch(t *testing.T, what, got string, want ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	ok := len(lines) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = regexp.MustCompile("^" + want[i] + "$").MatchString(lines[i])
	}
	if !ok {
		t.Fatalf("%s:\n%s\nwant lines matching:\n%s", what, got, strings.Join(want, "\n"))
	}
}

// Run by the main child itself, tinit ps shows itself holding the output;
// only "ps" as the first word means tinit ps, so tinit -- ps runs ps(1).
func TestPsFromInsideAndRealPs(t *testing.T) {
	r := inNS(t, 20*time.Second, tinitBin, "ps")
	if r.Code != 0 || r.Stderr != "" {
		t.Fatalf("tinit %s ps: code %d, stderr %q", tinitBin, r.Code, r.Stderr)
	}
	q := regexp.QuoteMeta(tinitBin)
	psMatch(t, "tinit TINIT ps", r.Stdout,
		`1 \[(sleeping|running), \d+s\] `+q+` `+q+` ps`,
		`└─ (\d+) \[(running|sleeping), \d+s\] `+q+` ps  <- main child, holds stdout \(fd 1\), holds stderr \(fd 2\)`,
		`1 process holds stdout, 1 holds stderr; main child \d+ running for \d+s`)

	requireTool(t, "ps", "procps")
	r = inNS(t, 20*time.Second, "--", "ps", "-o", "pid=,comm=", "-p", "1")
	if r.Code != 0 || strings.TrimSpace(r.Stdout) != "1 tinit" {
		t.Fatalf("tinit -- ps: code %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
}

// Not pid 1 (a subreaper), tinit is found by its pid, and named when pid 1
// is something else; errors are one line with their exit status.
func TestPsFindsSubreaperAndErrors(t *testing.T) {
	script := `T=$1
$T -- sleep 1000 &
t=$!
until $T ps $t 2>/dev/null | grep -q "sleep 1000  <- main child"; do sleep 0.01; done
echo "tinit=$t"
$T ps 2>&1; echo "rc=$?"
$T ps $t 2>&1; echo "rc=$?"
$T ps 4000000 2>&1; echo "rc=$?"
$T ps --bogus 2>&1; echo "rc=$?"
$T ps 1 2 2>&1; echo "rc=$?"
$T ps -x 2>&1; echo "rc=$?"
kill $t; wait $t; echo "tinit: $?"
`
	argv := append(nsPrefix(t), "sh", "-c", script, "sh", tinitBin)
	r := run(t, 30*time.Second, argv...)
	if r.Code != 0 || r.Stderr != "" {
		t.Fatalf("code %d, stderr %q, stdout:\n%s", r.Code, r.Stderr, r.Stdout)
	}
	m := regexp.MustCompile(`^tinit=(\d+)\n`).FindStringSubmatch(r.Stdout)
	if m == nil {
		t.Fatalf("stdout:\n%s", r.Stdout)
	}
	tp, q := m[1], regexp.QuoteMeta(tinitBin)
	psMatch(t, "the script", r.Stdout,
		`tinit=`+tp,
		`tinit: pid 1 \(sh\) is not tinit; tinit runs here as pid `+tp+` \(tinit ps PID\)`,
		`rc=1`,
		tp+` \[(sleeping|running), \d+s\] `+q+` -- sleep 1000`,
		`└─ (\d+) \[(sleeping|running), \d+s\] sleep 1000  <- main child, holds stdout \(fd 1\), holds stderr \(fd 2\)`,
		`1 process holds stdout, 1 holds stderr; main child \d+ running for \d+s`,
		`rc=0`,
		`tinit: no process 4000000 here; tinit runs here as pid `+tp+` \(tinit ps PID\)`,
		`rc=1`,
		`tinit: ps: unknown option --bogus \(see tinit ps --help\)`,
		`rc=125`,
		`tinit: ps: one pid at a time, not also 2 \(see tinit ps --help\)`,
		`rc=125`,
		`tinit: ps: unknown option -x \(see tinit ps --help\)`,
		`rc=125`,
		`tinit: 143`)
}

// A /proc of another pid namespace is refused (exit 2), and so is pid 1
// when it is tinit ps itself (exit 1).
func TestPsProcErrors(t *testing.T) {
	r := inNS(t, 20*time.Second, "ps")
	if r.Code != 1 || r.Stderr != "tinit: pid 1 is this tinit ps itself\n" || r.Stdout != "" {
		t.Fatalf("tinit ps as pid 1: code %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	var noMount []string
	for _, a := range nsPrefix(t) {
		if a != "--mount-proc" {
			noMount = append(noMount, a)
		}
	}
	r = run(t, 20*time.Second, append(noMount, tinitBin, "ps")...)
	if r.Code != 2 || r.Stderr != "tinit: cannot look at processes: /proc shows another pid namespace\n" || r.Stdout != "" {
		t.Fatalf("tinit ps with the host's /proc: code %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	r = plain(t, 20*time.Second, "ps", "--help")
	if r.Code != 0 || !strings.HasPrefix(r.Stdout, "Usage: tinit ps [--json] [PID]\n") {
		t.Fatalf("tinit ps --help: code %d, stdout %q", r.Code, r.Stdout)
	}
}

// Another user cannot read a root tinit's fds: exit 3, not a wrong tree.
func TestPsPermissionDenied(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run tinit ps as another user")
	}
	requireTool(t, "setpriv", "util-linux")
	dir, err := os.MkdirTemp("", "tinit-ps-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "tinit")
	b, err := os.ReadFile(tinitBin)
	if err == nil {
		err = os.WriteFile(bin, b, 0o755)
	}
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	// Under another name, whether it runs tinit is not nobody's to read
	// either: that is permission denied too, not "not tinit".
	if err := os.Link(bin, filepath.Join(dir, "docker-init")); err != nil {
		t.Fatal(err)
	}
	script := `T=$1
for I in $T ${T%/*}/docker-init; do
	$I -- sleep 1000 &
	t=$!
	until $T ps $t >/dev/null 2>&1; do sleep 0.01; done
	setpriv --reuid=65534 --regid=65534 --clear-groups $T ps $t 2>&1; echo "rc=$?"
	kill $t; wait $t
done
`
	r := run(t, 30*time.Second, append(nsPrefix(t), "sh", "-c", script, "sh", bin)...)
	psMatch(t, "tinit ps as nobody", r.Stdout,
		`tinit: cannot read the fds of tinit \(pid \d+\): permission denied; run tinit ps as tinit's user or as root`,
		`rc=3`,
		`tinit: cannot tell what pid \d+ \(docker-init\) runs: permission denied; run tinit ps as its user or as root`,
		`rc=3`)
}

// A tinit under another name (docker-init, /init) is found because it runs
// the same executable file as tinit ps.
func TestPsFindsRenamedTinit(t *testing.T) {
	dir := t.TempDir()
	init := filepath.Join(dir, "init")
	if err := os.Link(tinitBin, init); err != nil {
		t.Skipf("cannot hard-link the binary: %v", err)
	}
	script := `$1 -- sleep 1000 &
t=$!
# Once its child runs, tinit handles SIGTERM: before, the kill below could
# end it with the shell's "Terminated".
until pgrep -P $t >/dev/null; do sleep 0.01; done
$2 ps $t >/dev/null; echo "rc=$?"
kill $t; wait $t
`
	r := run(t, 30*time.Second, append(nsPrefix(t), "sh", "-c", script, "sh", init, tinitBin)...)
	if r.Stdout != "rc=0\n" || r.Stderr != "" {
		t.Fatalf("stdout %q, stderr %q", r.Stdout, r.Stderr)
	}
}

// -v and -w name each reaped orphan, read while it is still a zombie, with
// its status; a name that would be an escape sequence is quoted.
func TestPsVerboseNamesReapedOrphans(t *testing.T) {
	orphan := `printf 'evil\033]0;x\007' >/proc/$$/comm
while [ "$(cut -d" " -f4 /proc/$$/stat)" != 1 ]; do sleep 0.01; done
exit 4`
	script := `sh -c "$1" & exit 0`
	for _, c := range []struct{ flag, prefix string }{{"-v", "tinit: "}, {"-w", "tinit: warning: "}, {"", ""}} {
		args := []string{"--", "sh", "-c", script, "sh", orphan}
		if c.flag != "" {
			args = append([]string{c.flag}, args...)
		}
		r := inNS(t, 20*time.Second, args...)
		re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(c.prefix) + `reaped orphan \d+ \("evil\\x1b]0;x\\a"\), which exited with status 4$`)
		if r.Code != 0 || (c.flag != "") != re.MatchString(r.Stderr) || (c.flag == "" && r.Stderr != "") {
			t.Errorf("tinit %s: code %d, stderr:\n%s", c.flag, r.Code, r.Stderr)
		}
	}
}
