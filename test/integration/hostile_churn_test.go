package integration

import (
	"fmt"
	"testing"
	"time"
)

// 10,000 children started one after another, each a child of tinit (the
// main child uses CLONE_PARENT) so tinit reaps every one: tinit's open fds
// and resident memory after the last are what they were after the first
// thousand. The main child samples them from tinit's /proc entry.
func TestHostileTenThousandChildren(t *testing.T) {
	r := runCmd(t, 180*time.Second, withEnv(nsArgv(t, "--", hostile(t)), "HOSTILE_MODE=orphans", "HOSTILE_N=10000"))
	var efd, erss, lfd, lrss int
	if _, err := fmt.Sscanf(r.Stdout, "early fds=%d rss=%d\nlate fds=%d rss=%d\n", &efd, &erss, &lfd, &lrss); err != nil || r.Code != 0 {
		t.Fatalf("code %d, stdout %q (%v)\nstderr: %s", r.Code, r.Stdout, err, r.Stderr)
	}
	t.Logf("tinit after 1,000 children: %d fds, %d KiB; after 10,000: %d fds, %d KiB", efd, erss, lfd, lrss)
	if lfd != efd {
		t.Errorf("tinit's fd count went from %d to %d", efd, lfd)
	}
	// The Go runtime may still grow a little (a larger heap span, a page of
	// stack); a leak per child would show as several MiB.
	if lrss > erss+1024 {
		t.Errorf("tinit's RSS grew from %d KiB to %d KiB", erss, lrss)
	}
}
