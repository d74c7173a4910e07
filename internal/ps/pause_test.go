package ps

import (
	"strings"
	"testing"

	"tinit/internal/procview"
	"tinit/internal/state"
)

// A paused tinit (-P) has no main child and no pipes: ps says it pauses
// and what it has adopted, not that a main child has exited.
func TestPsPaused(t *testing.T) {
	s := &procview.Snapshot{Self: 1, Procs: map[int]*procview.Proc{
		1:  psp(1, 0, 1, 1, "S", 1000, "tinit", []string{"/tinit", "-P"}, nil, nil),
		40: psp(40, 1, 40, 40, "S", 1100, "sleep", []string{"sleep", "1000"}, nil, nil),
	}}
	in := &Input{Snap: s, Uptime: 1000 + 75*ticksPerSecond, State: &state.State{Pause: true, Streams: map[uint64]string{}}}
	v := NewView(in)
	got := strings.Join(v.Render(), "\n")
	want := "1 [sleeping, 1m15s] /tinit -P\n" +
		"└─ 40 [sleeping, 1m14s] sleep 1000  <- orphan\n" +
		"paused (-P): no command, no output pipe; 1 orphan adopted"
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	j := string(v.JSON())
	if !strings.Contains(j, `"pause":true`) || !strings.Contains(j, `"main_child":null`) {
		t.Fatalf("json: %s", j)
	}
	delete(s.Procs, 40)
	if got := NewView(in).Summary(); got != "paused (-P): no command, no output pipe; nothing adopted" {
		t.Fatalf("summary %q", got)
	}
	in.State = &state.State{Streams: map[uint64]string{}}
	if j := string(NewView(in).JSON()); !strings.Contains(j, `"pause":false`) || strings.Contains(j, `"main_child":null`) {
		t.Fatalf("json of a run: %s", j)
	}
}
