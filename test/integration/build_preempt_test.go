package integration

import (
	"strings"
	"testing"
	"time"
)

// The Go runtime preempts a goroutine that runs for 10 ms without yielding
// by sending its thread a SIGURG, which tinit cannot tell from a SIGURG
// meant for the child and would forward. The shipped binary turns
// asynchronous preemption off; a reap storm keeps tinit's loop busy long
// enough that, with it on, the child counts SIGURGs it was never sent (in
// two of three runs here; -w adds naming each orphan to the loop's work).
func TestBuildShippedSendsNoPreemptionSignals(t *testing.T) {
	script := `c=0 got=0
trap 'c=$((c+1))' URG
trap 'got=1' USR1
HOSTILE_MODE=storm HOSTILE_N=3000 "$1" >/dev/null
# tinit has reaped the storm once this shell is its only child. Each
# thread lists the children it forked or adopted.
kids=
until [ "$kids" = "$$" ]; do kids=$(cat /proc/1/task/*/children); kids=${kids% }; done
# A forwarded USR1 comes after any SIGURG tinit forwarded while reaping.
kill -USR1 1
until [ "$got" = 1 ]; do :; done
echo "urg=$c"`
	for i := range 5 {
		argv := append(nsPrefix(t), tinitBin, "-w", "--", "bash", "-c", script, "bash", hostile(t))
		r := run(t, 2*time.Minute, argv...)
		if r.Code != 0 || strings.TrimSpace(r.Stdout) != "urg=0" {
			t.Fatalf("run %d: exit %d, stdout %q, stderr ending %q: the child got SIGURGs it was never sent",
				i, r.Code, r.Stdout, r.Stderr[max(0, len(r.Stderr)-300):])
		}
	}
}
