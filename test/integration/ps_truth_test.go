package integration

import (
	"encoding/json"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// psTruthScript runs body in a new pid namespace with sh as pid 1 and
// tinit ($T) as a subreaper below it, and returns what it printed.
func psTruthScript(t *testing.T, bin, body string) string {
	t.Helper()
	r := run(t, 60*time.Second, append(nsPrefix(t), "sh", "-c", "T=$1\n"+body, "sh", bin)...)
	// tinit's stderr has its leak report when the script ends it.
	if r.Code != 0 {
		t.Fatalf("script: code %d stderr %q stdout:\n%s", r.Code, r.Stderr, r.Stdout)
	}
	return r.Stdout
}

// psJSONLine decodes the line of out that starts with prefix.
func psJSONLine(t *testing.T, out, prefix string) psJSON {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(l, prefix); ok {
			var v psJSON
			if err := json.Unmarshal([]byte(rest), &v); err != nil {
				t.Fatalf("%s: %v\n%s", prefix, err, rest)
			}
			return v
		}
	}
	t.Fatalf("no line %q in:\n%s", prefix, out)
	return psJSON{}
}

// TestPsMainChildFromTinit: the main child is the one tinit started, as
// tinit says, not a guess: a job-control job that outlives a bash started
// with `set -m` leads its own group in tinit's session, and is still an
// orphan, not the main child; while bash runs, bash is the main child.
func TestPsMainChildFromTinit(t *testing.T) {
	requireTool(t, "bash", "bash")
	for i := 0; i < 3; i++ {
		out := psTruthScript(t, tinitBin, `
$T --grace 60s -- bash -c 'set -m; sleep 1000 & exec sleep 999' &
t=$!
n=0
until [ -n "$(cat /proc/$t/task/*/children 2>/dev/null)" ] && $T ps $t | grep -q 'sleep 1000'; do sleep 0.01; n=$((n+1)); [ $n -lt 2000 ] || break; done
m=$(cat /proc/$t/task/*/children | tr -d " ")
echo "main=$m"
echo "running $($T ps --json $t)"
kill -TERM $m
n=0
until ! [ -e /proc/$m ]; do sleep 0.01; n=$((n+1)); [ $n -lt 2000 ] || break; done
echo "exited $($T ps --json $t)"
$T ps $t | tail -1
kill $t; wait $t
exit 0
`)
		mm := regexp.MustCompile(`main=(\d+)\n`).FindStringSubmatch(out)
		if mm == nil {
			t.Fatalf("output:\n%s", out)
		}
		main, _ := strconv.Atoi(mm[1])
		v := psJSONLine(t, out, "running ")
		if v.MainChild.Exited || v.MainChild.PID == nil || *v.MainChild.PID != main {
			t.Errorf("run %d: while bash runs, main_child %+v, want pid %d\n%s", i, v.MainChild, main, out)
		}
		v = psJSONLine(t, out, "exited ")
		if !v.MainChild.Exited || v.MainChild.PID != nil {
			t.Errorf("run %d: after bash exited, main_child %+v, want exited\n%s", i, v.MainChild, out)
		}
		for _, p := range v.Processes {
			if p.MainChild || (p.Depth == 1 && !p.Orphan) {
				t.Errorf("run %d: %d (%q) counts as the main child: %+v", i, p.PID, p.Cmdline, p)
			}
		}
		if !strings.HasSuffix(out, "; main child has exited\n") {
			t.Errorf("run %d: summary:\n%s", i, out)
		}
	}
}

// TestPsOutsideHolderDrawn: a process that is not tinit's descendant (it
// joined the namespace and opened the pipe through /proc, as one started
// with nsenter or podman exec can) and holds stdout is drawn, in the tree
// and in processes, as well as counted.
func TestPsOutsideHolderDrawn(t *testing.T) {
	out := psTruthScript(t, tinitBin, `
$T --grace 60s -- sleep 1000 &
t=$!
until [ -n "$(cat /proc/$t/task/*/children 2>/dev/null)" ]; do sleep 0.01; done
m=$(cat /proc/$t/task/*/children | tr -d " ")
sleep 1001 >/proc/$m/fd/1 2>/dev/null &
o=$!
until [ "$(readlink /proc/$o/fd/1)" = "$(readlink /proc/$m/fd/1)" ]; do sleep 0.01; done
echo "outsider=$o"
echo "json $($T ps --json $t)"
$T ps $t
kill $o $t; wait $t
exit 0
`)
	mo := regexp.MustCompile(`outsider=(\d+)\n`).FindStringSubmatch(out)
	if mo == nil {
		t.Fatalf("output:\n%s", out)
	}
	o, _ := strconv.Atoi(mo[1])
	v := psJSONLine(t, out, "json ")
	drawn := false
	for _, p := range v.Processes {
		if p.PID == o {
			drawn = p.Depth == 0 && len(p.Holds) == 1 && p.Holds[0].Stream == "stdout" && p.Holds[0].Fd == 1
		}
	}
	counted := false
	for _, st := range v.Streams {
		if st.Name == "stdout" {
			for _, h := range st.Holders {
				counted = counted || h == o
			}
		}
	}
	if !drawn || !counted {
		t.Errorf("outsider %d: drawn %v counted %v\n%s", o, drawn, counted, out)
	}
	if !regexp.MustCompile(`(?m)^` + mo[1] + ` \[sleeping, \d+s\] sleep 1001  <- holds stdout \(fd 1\)$`).MatchString(out) {
		t.Errorf("outsider %d not in the tree:\n%s", o, out)
	}
	if !strings.Contains(out, "2 processes hold stdout") {
		t.Errorf("summary:\n%s", out)
	}
}

// TestPsNamesStreamsByPipe: with only stderr left, held on fd 1 by a
// daemon, ps calls it stderr, as tinit's own report does.
func TestPsNamesStreamsByPipe(t *testing.T) {
	requireTool(t, "setsid", "util-linux")
	out := psTruthScript(t, tinitBin, `
$T --grace 60s -- sh -c '(setsid sleep 999 >&2 2>/dev/null &); exit 0' &
t=$!
n=0
until [ "$($T ps --json $t 2>/dev/null | grep -o '"name"' | wc -l)" = 1 ] && $T ps $t | grep -q 'sleep 999'; do sleep 0.01; n=$((n+1)); [ $n -lt 2000 ] || break; done
echo "json $($T ps --json $t)"
$T ps $t
kill $t; wait $t
exit 0
`)
	v := psJSONLine(t, out, "json ")
	if len(v.Streams) != 1 || v.Streams[0].Name != "stderr" {
		t.Errorf("streams %+v, want only stderr\n%s", v.Streams, out)
	}
	if !regexp.MustCompile(`(?m)sleep 999  <- orphan, holds stderr \(fd 1\)$`).MatchString(out) {
		t.Errorf("tree:\n%s", out)
	}
}

// TestPsHidepid: with /proc mounted hidepid=2, another user is told that
// it may not see tinit: exit 3, with that reason, not "no process".
func TestPsHidepid(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run tinit ps as another user")
	}
	requireTool(t, "setpriv", "util-linux")
	bin := worldTinit(t)
	out := psTruthScript(t, bin, `
mount -o remount,hidepid=2 /proc || exit 1
$T -- sleep 1000 &
t=$!
until $T ps $t >/dev/null 2>&1; do sleep 0.01; done
setpriv --reuid=65534 --regid=65534 --clear-groups $T ps $t 2>&1; echo "rc=$?"
setpriv --reuid=65534 --regid=65534 --clear-groups $T ps 4000000 2>&1; echo "rc=$?"
kill $t; wait $t
exit 0
`)
	psMatch(t, "tinit ps as nobody under hidepid=2", out,
		`tinit: cannot see process \d+: permission denied \(/proc is mounted with hidepid, which hides other users' processes\); run tinit ps as tinit's user or as root`,
		`rc=3`,
		`tinit: no process 4000000 here`,
		`rc=1`)
}
