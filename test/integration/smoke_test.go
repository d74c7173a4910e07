package integration

import (
	"testing"
	"time"
)

// The example the README starts with: a test that leaks a late writer loses
// nothing under tinit.
func TestSmokeLateWriterDelivered(t *testing.T) {
	r := inNS(t, 20*time.Second, "sh", "-c", "(sleep 0.5; echo late) & echo early; exit 3")
	if r.Stdout != "early\nlate\n" || r.Code != 3 {
		t.Fatalf("got stdout %q code %d, want %q code 3\nstderr: %s", r.Stdout, r.Code, "early\nlate\n", r.Stderr)
	}
}
