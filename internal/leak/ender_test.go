package leak

import (
	"reflect"
	"sort"
	"testing"
	"time"

	"tinit/internal/leak/leaktest"
	"tinit/internal/procview"
)

// enderBed runs an Ender over hand-made snapshots.
type enderBed struct {
	*leaktest.System
	e   *Ender
	raw []string // sent, in the order sent
}

func newEnderBed() *enderBed {
	f := leaktest.New()
	return &enderBed{System: f, e: NewEnder(f, time.Second)}
}

// round scans ps after d more time and returns what was sent.
func (b *enderBed) round(t *testing.T, d time.Duration, ps ...*procview.Proc) []string {
	t.Helper()
	b.Clock = b.Clock.Add(d)
	s := &procview.Snapshot{Self: 1, Procs: map[int]*procview.Proc{1: proc(1, 0, "S", "tinit", nil, m{inoOut: {3}})}}
	for _, p := range ps {
		s.Procs[p.PID] = p
	}
	b.Sent = nil
	b.e.Round(b.Clock, Find(s, ours))
	b.raw = append([]string(nil), b.Sent...)
	sort.Strings(b.Sent)
	return b.Sent
}

func want(t *testing.T, what string, got []string, w ...string) {
	t.Helper()
	if len(got) == 0 && len(w) == 0 {
		return
	}
	if !reflect.DeepEqual(got, w) {
		t.Fatalf("%s: sent %v, want %v", what, got, w)
	}
}

// kept marks p's writes as fds it keeps across exec.
func kept(p *procview.Proc) *procview.Proc {
	p.KeptWrites = map[uint64]bool{}
	for ino := range p.Writes {
		p.KeptWrites[ino] = true
	}
	return p
}

// A relay left by its source is left alone while it writes, and ended once
// it has written nothing for KillAfter.
func TestEnderDrainingRelay(t *testing.T) {
	b := newEnderBed()
	src := kept(proc(11, 1, "S", "seq", m{inoRelay: {1}}, nil))
	relay := func() *procview.Proc { return kept(proc(10, 1, "S", "relay", m{inoOut: {1}}, m{inoRelay: {0}})) }
	want(t, "first round", b.round(t, 0, relay(), src), "11:SIGTERM")
	for i := 0; i < 5; i++ {
		b.Wrote[10] += 100
		want(t, "writing", b.round(t, 500*time.Millisecond, relay()))
	}
	want(t, "idle for less than KillAfter", b.round(t, 900*time.Millisecond, relay()))
	want(t, "idle for KillAfter", b.round(t, 200*time.Millisecond, relay()), "10:SIGKILL")
}

// A relay that forks a source feeding it back (x=$(sleep 1) in a loop) is
// a source; one that forks what writes to the output (xargs echo) is not,
// and neither is that child.
func TestEnderRelayForks(t *testing.T) {
	b := newEnderBed()
	loop := func() *procview.Proc { return kept(proc(10, 1, "S", "sh loop", m{inoOut: {1}}, m{inoRelay: {3}})) }
	want(t, "first round", b.round(t, 0, loop(), kept(proc(11, 10, "S", "sleep 1", m{inoRelay: {1}}, nil))), "11:SIGTERM")
	want(t, "a new feeder forked", b.round(t, 50*time.Millisecond, loop(), kept(proc(12, 10, "S", "sleep 1", m{inoRelay: {1}}, nil))),
		"10:SIGTERM", "12:SIGTERM")

	b = newEnderBed()
	xargs := func() *procview.Proc { return kept(proc(20, 1, "S", "xargs echo", m{inoOut: {1}}, m{inoRelay: {0}})) }
	want(t, "first round", b.round(t, 0, xargs(), kept(proc(21, 1, "S", "seq", m{inoRelay: {1}}, nil))), "21:SIGTERM")
	want(t, "an echo forked", b.round(t, 50*time.Millisecond, xargs(), kept(proc(22, 20, "S", "echo", m{inoOut: {1}}, nil))))
	// Between fork and exec the child also holds xargs's close-on-exec
	// pipe that reports a failed exec: that is no feeding back.
	pre := proc(23, 20, "S", "xargs echo", m{inoOut: {1}, 700: {4}}, m{inoRelay: {0}})
	pre.KeptWrites = map[uint64]bool{inoOut: true}
	x := xargs()
	x.Reads[700] = []int{5}
	want(t, "a child before exec", b.round(t, 50*time.Millisecond, x, pre))
}

// SIGCONT goes only to stopped holders, after their SIGTERM.
func TestEnderContOnlyStopped(t *testing.T) {
	b := newEnderBed()
	want(t, "running and stopped", b.round(t, 0, proc(5, 1, "S", "sleep", m{inoOut: {1}}, nil), proc(6, 1, "T", "stopped", m{inoOut: {1}}, nil)),
		"5:SIGTERM", "6:SIGCONT", "6:SIGTERM")
	if !reflect.DeepEqual(b.raw, []string{"5:SIGTERM", "6:SIGTERM", "6:SIGCONT"}) {
		t.Fatalf("sent %v, want SIGCONT after SIGTERM", b.raw)
	}
}
