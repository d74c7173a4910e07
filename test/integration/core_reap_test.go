package integration

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// orphanCheck runs in the child: it waits until no process other than
// itself has tinit ($PPID) as its parent, which happens only once every
// orphan has exited and tinit has reaped it, and prints "clean". With
// "ns" as $1 it also demands that no zombie at all is left in the
// namespace. It gives up after 20 s and lists what is left.
const orphanCheck = `ns=$1
deadline=$((SECONDS+20))
while :; do
  left=
  for f in /proc/[0-9]*/stat; do
    read -r line 2>/dev/null < "$f" || continue
    pid=${line%% *}; rest=${line##*) }; set -- $rest
    [ "$pid" = "$$" ] && continue
    if [ "$2" = "$PPID" ] || { [ "$ns" = ns ] && [ "$1" = Z ]; }; then left="$left $pid:$1"; fi
  done
  [ -z "$left" ] && break
  [ $SECONDS -ge $deadline ] && { echo "left:$left"; exit 1; }
  sleep 0.02
done
echo clean
`

var reapedLine = regexp.MustCompile(`^tinit: warning: reaped orphan (\d+)\b.*, which (.*)$`)

// reapedOrphans parses tinit's -w lines into pid -> how it ended, and
// returns whatever else tinit printed.
func reapedOrphans(stderr string) (map[int]string, []string) {
	reaped, other := map[int]string{}, []string(nil)
	for _, l := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		if m := reapedLine.FindStringSubmatch(l); m != nil {
			pid, _ := strconv.Atoi(m[1])
			reaped[pid] = m[2]
		} else if l != "" {
			other = append(other, l)
		}
	}
	return reaped, other
}

// TestCoreHundredOrphansNoZombies: 100 short-lived sleeps orphaned at once
// are all reaped while the child still runs, and -w names each one.
func TestCoreHundredOrphansNoZombies(t *testing.T) {
	forCoreModes(t, func(t *testing.T, m coreMode) {
		ns := "plain"
		if m.ns {
			ns = "ns"
		}
		script := "for i in $(seq 100); do (sleep 0.2 &); done\n" + orphanCheck
		r := run(t, 60*time.Second, m.argv(t, "-w", "bash", "-c", script, "orphans", ns)...)
		reaped, other := reapedOrphans(r.Stderr)
		if r.Code != 0 || r.Stdout != "clean\n" || len(reaped) != 100 || other != nil {
			t.Fatalf("code %d stdout %q, %d orphans reaped, other stderr %q", r.Code, r.Stdout, len(reaped), other)
		}
		for pid, how := range reaped {
			if how != "exited with status 0" {
				t.Errorf("orphan %d %s", pid, how)
			}
		}
	})
}

// TestCoreCoalescedSIGCHLD: children that fork and kill themselves while
// the main child exits make SIGCHLDs coalesce; tinit must still see the
// main child's exit and finish promptly, every time.
func TestCoreCoalescedSIGCHLD(t *testing.T) {
	script := `for i in $(seq 30); do (sleep 0.01 & kill -KILL $BASHPID) & (exit 3) & done; exit 7`
	forCoreModes(t, func(t *testing.T, m coreMode) {
		m.argv(t)
		errs := make([]string, 20)
		parallelRuns(len(errs), func(i int) {
			start := time.Now()
			r, err := runQuiet(30*time.Second, m.argv(t, "bash", "-c", script))
			switch {
			case err != nil:
				errs[i] = err.Error()
			case r.Code != 7 || r.Stdout != "" || r.Stderr != "":
				errs[i] = "code " + strconv.Itoa(r.Code) + " stderr " + strconv.Quote(r.Stderr)
			case time.Since(start) > 10*time.Second:
				errs[i] = "took " + time.Since(start).String()
			}
		})
		for i, e := range errs {
			if e != "" {
				t.Errorf("run %d: %s", i, e)
			}
		}
	})
}

// TestCoreSubreaperAdoptsOrphan: the orphan of a grandchild gets tinit as
// its parent (a child subreaper when tinit is not pid 1), and once it dies
// tinit reaps it, leaving no zombie.
func TestCoreSubreaperAdoptsOrphan(t *testing.T) {
	script := `(sleep 60 & echo $! > "$1"); orphan=$(cat "$1")
read -r line < /proc/$orphan/stat; rest=${line##*) }; set -- $rest
echo "tinit=$PPID orphan-parent=$2"
kill $orphan
for i in $(seq 1000); do [ -e /proc/$orphan ] || { echo "reaped $orphan"; exit 0; }; sleep 0.01; done
echo "orphan $orphan still there: $(cat /proc/$orphan/stat)"; exit 1`
	forCoreModes(t, func(t *testing.T, m coreMode) {
		pidFile := t.TempDir() + "/orphan"
		p := startCore(t, m, nil, "-w", "bash", "-c", script, "adopt", pidFile)
		r := p.wait(t, 30*time.Second)
		reaped, other := reapedOrphans(r.Stderr)
		orphan := 0
		for pid := range reaped {
			orphan = pid
		}
		tinitPID := "1"
		if !m.ns {
			tinitPID = strconv.Itoa(p.cmd.Process.Pid)
		}
		want := "tinit=" + tinitPID + " orphan-parent=" + tinitPID + "\nreaped " + strconv.Itoa(orphan) + "\n"
		if r.Code != 0 || r.Stdout != want || reaped[orphan] != "was killed by SIGTERM" || len(reaped) != 1 || other != nil {
			t.Fatalf("code %d stdout %q (want %q) stderr %q", r.Code, r.Stdout, want, r.Stderr)
		}
	})
}
