package leak

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// One rule for holders and the rest: SIGTERM to each target once, SIGKILL
// to every target from KillAfter after the first SIGTERM, whenever the
// target was met; KillNow makes SIGKILL due at once, and never later.
func TestEscalation(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	e := Escalation{KillAfter: 500 * time.Millisecond}
	for _, c := range []struct {
		ms     int
		termed bool
		want   unix.Signal
	}{
		{0, false, unix.SIGTERM},
		{0, true, 0},
		{300, false, unix.SIGTERM}, // a newcomer: its own SIGTERM, on the first one's clock
		{499, true, 0},
		{500, true, unix.SIGKILL},
		{500, false, unix.SIGKILL},
		{900, true, unix.SIGKILL},
	} {
		s := &sent{}
		if c.termed {
			s.termAt = at(0)
		}
		if got := e.Next(at(c.ms), s); got != c.want {
			t.Fatalf("at %d ms, termed %v: %v, want %v", c.ms, c.termed, got, c.want)
		}
	}
	if e.KillAt() != at(500) {
		t.Fatalf("KillAt %v", e.KillAt())
	}
	e.KillNow(at(900))
	if e.KillAt() != at(500) {
		t.Fatalf("KillNow after the deadline moved it to %v", e.KillAt())
	}

	var n Escalation
	n.KillAfter = time.Second
	if n.Started() || n.Killing(t0) {
		t.Fatal("a fresh escalation has started")
	}
	n.KillNow(t0)
	if got := n.Next(t0, &sent{}); got != unix.SIGKILL || n.KillAt() != t0 {
		t.Fatalf("after KillNow: %v, KillAt %v", got, n.KillAt())
	}
}
