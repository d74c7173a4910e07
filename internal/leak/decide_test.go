package leak

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"tinit/internal/leak/leaktest"
	"tinit/internal/procview"
)

// The rules by which a run ends, run against a fake world: a clock that
// moves only when told, snapshots made by hand, and a record of every
// signal. The bed carries out each Decision as subreaper's loop does; the
// integration tests run the same rules with real processes and real time.

const mainPID = 10

// fakeOutput is one stream, bytes pending in it or not.
type fakeOutput struct{ pending bool }

func (o *fakeOutput) Inodes() map[uint64]string { return map[uint64]string{leaktest.InoOut: "stdout"} }
func (o *fakeOutput) Pending() bool             { return o.pending }

// lines is a Log that keeps every line, Info and Error alike.
type lines []string

func (l *lines) Error(parts ...string) { *l = append(*l, strings.Join(parts, "")) }
func (l *lines) Info(parts ...string)  { *l = append(*l, strings.Join(parts, "")) }

// decideBed is a run whose main child runs, with a grace of 1 s and a
// kill-after of 500 ms, as pid 1.
type decideBed struct {
	*leaktest.System
	out       *fakeOutput
	log       *lines
	e         *Ending
	f         Facts
	abandoned int // how many times the loop was told to give up on the output
	t         *testing.T
}

func newDecideBed(t *testing.T) *decideBed {
	b := &decideBed{System: leaktest.New(), out: &fakeOutput{}, log: &lines{}, f: Facts{Children: true}, t: t}
	b.setup(true)
	return b
}

// setup makes the bed's Ending anew, as pid 1 or as a subreaper.
func (b *decideBed) setup(pid1 bool) {
	b.e = NewEnding(Setup{System: b.System, Log: b.log, Output: b.out,
		Grace: time.Second, KillAfter: 500 * time.Millisecond, Pid1: pid1, Group: mainPID})
}

func (b *decideBed) mainExits() { b.f.MainAt = b.Clock }

// complete tells the run its output reached end of file now.
func (b *decideBed) complete() { b.f.CompleteAt = b.Clock }

func wait(d time.Duration) Decision { return Decision{Do: KeepWaiting, Wake: d} }

var (
	noTimer = wait(NoTimer)
	round   = ClocksFor(0, 0).Round
	end     = Decision{Do: End, Wake: round}
	giveUp  = Decision{Do: GiveUpOnOutput, Wake: round}
	exit    = Decision{Do: Exit}
)

// decide asks Decide d after the last time, checks what it returned and
// sent, and carries out a GiveUpOnOutput as the loop does.
func (b *decideBed) decide(d time.Duration, want Decision, sent ...string) {
	b.t.Helper()
	b.Clock = b.Clock.Add(d)
	b.Sent = nil
	got := b.e.Decide(b.Clock, b.f)
	if got != want {
		b.t.Fatalf("at +%v: Decide = %+v; want %+v", d, got, want)
	}
	if got.Do == GiveUpOnOutput {
		b.abandoned++
		b.complete()
	}
	b.ExpectSent(b.t, sent...)
}

// said checks every log line written so far, and forgets them.
func (b *decideBed) said(want ...string) {
	b.t.Helper()
	got := *b.log
	*b.log = nil
	if len(got) != 0 || len(want) != 0 {
		if !reflect.DeepEqual([]string(got), want) {
			b.t.Fatalf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// Grace runs out on the clock: then the holder gets SIGTERM, and SIGKILL
// kill-after later; when the output is complete and no child is left,
// the run is over.
func TestDecideGraceThenTermThenKill(t *testing.T) {
	b := newDecideBed(t)
	b.decide(0, noTimer)
	b.Show(leaktest.Sleeper(20, 1))
	b.mainExits()
	b.decide(0, wait(time.Second))
	b.decide(999*time.Millisecond, wait(time.Millisecond))
	b.said("waiting up to 1s for its output to reach end of file")
	b.decide(time.Millisecond, end, "20:SIGTERM")
	b.said("the first look for holders took 0s",
		"the main child exited 1s ago, but 1 process is still holding its output; ending it:",
		"  1 [sleeping] tinit",
		"  └─ 20 [sleeping] sleep 1000  <- holds stdout (fd 1)")
	b.decide(499*time.Millisecond, end)
	b.decide(time.Millisecond, end, "20:SIGKILL")
	b.decide(50*time.Millisecond, end, "20:SIGKILL")
	b.Show()
	b.f.Children = false
	b.complete()
	b.decide(10*time.Millisecond, exit)
	b.said()
	if l := b.e.Leaks(); len(l) != 1 || l[0].PID != 20 || l[0].Signal != "SIGKILL" || l[0].State != "S" {
		t.Fatalf("leaks: %+v", l)
	}
}

// A stop signal during grace cuts it short: the holder gets SIGTERM in the
// very next round. Only the first stop says it is the first.
func TestDecideStopCutsGraceShort(t *testing.T) {
	b := newDecideBed(t)
	b.Show(leaktest.Sleeper(20, 1))
	b.mainExits()
	b.decide(0, wait(time.Second))
	b.decide(100*time.Millisecond, wait(900*time.Millisecond))
	if !b.e.Stop(b.Clock) {
		t.Fatal("the first stop is not the first")
	}
	b.decide(0, end, "20:SIGTERM")
	b.said("waiting up to 1s for its output to reach end of file",
		"the first look for holders took 0s",
		"the main child exited 100ms ago, but 1 process is still holding its output; ending it:",
		"  1 [sleeping] tinit",
		"  └─ 20 [sleeping] sleep 1000  <- holds stdout (fd 1)")
}

// A second stop signal kills every descendant at once, relays included,
// and every holder in each round after; a third changes nothing.
func TestDecideSecondStopKillsNow(t *testing.T) {
	b := newDecideBed(t)
	relay := &procview.Proc{PID: 30, PPID: 1, State: "S", Cmdline: []string{"cat"}, Starttime: 30,
		Writes: map[uint64][]int{inoOut: {1}}, Reads: map[uint64][]int{inoRelay: {0}}}
	src := &procview.Proc{PID: 31, PPID: 1, State: "S", Cmdline: []string{"seq"}, Starttime: 31,
		Writes: map[uint64][]int{inoRelay: {1}}}
	b.Show(relay, src)
	b.mainExits()
	b.decide(0, wait(time.Second))
	b.e.Stop(b.Clock)
	if b.e.Stop(b.Clock) {
		t.Fatal("the second stop says it is the first")
	}
	b.ExpectSent(b.t, "30:SIGKILL", "30:SIGCONT", "31:SIGKILL", "31:SIGCONT")
	b.e.Stop(b.Clock)
	b.ExpectSent(b.t)
	b.decide(0, end, "30:SIGKILL", "31:SIGKILL")
	b.said("waiting up to 1s for its output to reach end of file",
		"told again to stop: killing every process that is left",
		"the first look for holders took 0s",
		"the main child exited 0s ago, but 2 processes are still holding its output; ending them:",
		"  1 [sleeping] tinit",
		"  ├─ 30 [sleeping] cat  <- holds stdout (fd 1), relay",
		"  └─ 31 [sleeping] seq  <- feeds 30")
}

// A relay is left alone while its source is ended and while it still
// writes what it read; once it has been idle for kill-after it is a
// source, and its SIGKILL is long due.
func TestDecideRelayLeftWhileDelivering(t *testing.T) {
	b := newDecideBed(t)
	relay := func() *procview.Proc {
		return &procview.Proc{PID: 30, PPID: 1, State: "S", Cmdline: []string{"cat"}, Starttime: 30,
			Writes: map[uint64][]int{inoOut: {1}}, Reads: map[uint64][]int{inoRelay: {0}}}
	}
	src := &procview.Proc{PID: 31, PPID: 1, State: "S", Cmdline: []string{"seq"}, Starttime: 31,
		Writes: map[uint64][]int{inoRelay: {1}}}
	b.Show(relay(), src)
	b.mainExits()
	b.decide(0, wait(time.Second))
	b.decide(time.Second, end, "31:SIGTERM")
	b.Show(relay())
	for range 10 {
		b.Wrote[30] += 4096
		b.decide(200*time.Millisecond, end)
	}
	b.decide(499*time.Millisecond, end)
	b.decide(time.Millisecond, end, "30:SIGKILL")
}

// A pipe open with no holder in sight is given up on after kill-after, but
// only while it is empty: bytes waiting in it stop the clock. Then the
// rest is ended, and the run is over when no child is left.
func TestDecideGiveUpOnUnseenHolderOnlyWhenEmpty(t *testing.T) {
	b := newDecideBed(t)
	b.Show()
	b.mainExits()
	b.decide(0, wait(time.Second))
	b.out.pending = true
	b.decide(time.Second, end)
	for range 40 {
		b.decide(50*time.Millisecond, end)
	}
	b.out.pending = false
	b.decide(50*time.Millisecond, end) // the clock starts
	b.decide(499*time.Millisecond, end)
	b.out.pending = true
	b.decide(time.Millisecond, end) // and stops again
	b.out.pending = false
	b.decide(50*time.Millisecond, end)
	b.decide(499*time.Millisecond, end)
	b.decide(time.Millisecond, giveUp)
	b.said("waiting up to 1s for its output to reach end of file",
		"the output is still open, but no process that holds it can be found; not waiting for it any longer")
	b.decide(50*time.Millisecond, end)
	b.f.Children = false
	b.decide(10*time.Millisecond, exit)
	if b.abandoned != 1 {
		t.Fatalf("gave up %d times, want once", b.abandoned)
	}
}

// Once the output is complete, every descendant left gets SIGTERM, and
// SIGKILL kill-after later, each with a SIGCONT; the run is over when no
// child is left. The output may be complete before the main child exits:
// there is no grace then.
func TestDecideEndRestAfterOutputComplete(t *testing.T) {
	b := newDecideBed(t)
	orphan := &procview.Proc{PID: 40, PPID: 1, State: "S", Cmdline: []string{"daemon"}, Starttime: 40}
	grandchild := &procview.Proc{PID: 41, PPID: 40, State: "T", Cmdline: []string{"sleep"}, Starttime: 41}
	b.Show(orphan, grandchild)
	b.complete()
	b.decide(0, noTimer)
	b.mainExits()
	b.decide(time.Millisecond, end, "40:SIGTERM", "40:SIGCONT", "41:SIGTERM", "41:SIGCONT")
	b.decide(499*time.Millisecond, end)
	b.decide(time.Millisecond, end, "40:SIGKILL", "40:SIGCONT", "41:SIGKILL", "41:SIGCONT")
	b.decide(50*time.Millisecond, end, "40:SIGKILL", "40:SIGCONT", "41:SIGKILL", "41:SIGCONT")
	b.f.Children = false
	b.decide(10*time.Millisecond, exit)
	b.said("ending the processes that are left")
	if l := b.e.Leaks(); len(l) != 0 {
		t.Fatalf("leaks: %+v", l)
	}
}

// With the output complete and no child left when the main child exits,
// the run is over at once, without a scan or a signal; and it stays over.
func TestDecideExitWhenNoChildrenRemain(t *testing.T) {
	b := newDecideBed(t)
	b.complete()
	b.f.Children = false
	b.mainExits()
	b.decide(0, exit)
	b.f.Children = true
	b.decide(time.Second, exit)
	b.said()
}

// Without /proc a subreaper can end only the main child's process group.
// Once the group has had its SIGKILL and kill(2) says it is empty, what
// left the group is out of reach: the output is given up on at once (the
// pipe is empty), and the run is over without it, within grace +
// kill-after and a round.
func TestDecideNoProcSubreaperLeavesUnreachable(t *testing.T) {
	b := newDecideBed(t)
	b.GroupEmptiesOnKill = true
	b.setup(false)
	b.mainExits()
	b.decide(0, wait(time.Second))
	b.decide(time.Second, end, "-10:SIGTERM", "-10:SIGCONT")
	b.decide(499*time.Millisecond, end)
	b.decide(time.Millisecond, end, "-10:SIGKILL", "-10:SIGCONT")
	b.decide(50*time.Millisecond, giveUp, "-10:SIGKILL")
	b.decide(10*time.Millisecond, exit)
	b.said("waiting up to 1s for its output to reach end of file",
		"cannot see which processes hold the output (/proc does not show this pid namespace); ending the main child's process group instead",
		"ending the processes that are left",
		"the output is still open, but no process that holds it can be found; not waiting for it any longer",
		"descendants that left the main child's process group are still running; without /proc tinit cannot name them, so it exits without them")
}

// A group that will not empty (a process stuck in the kernel) is given up
// on kill-after after the group's SIGKILL; and a pipe with bytes in it is
// never given up on.
func TestDecideNoProcSubreaperGroupNeverEmpties(t *testing.T) {
	b := newDecideBed(t)
	b.setup(false)
	b.mainExits()
	b.decide(0, wait(time.Second))
	b.decide(time.Second, end, "-10:SIGTERM", "-10:SIGCONT")
	b.decide(500*time.Millisecond, end, "-10:SIGKILL", "-10:SIGCONT")
	b.decide(499*time.Millisecond, end, "-10:SIGKILL", "-10:SIGCONT")
	b.out.pending = true
	b.decide(time.Millisecond, end, "-10:SIGKILL", "-10:SIGCONT")
	b.out.pending = false
	b.decide(50*time.Millisecond, giveUp, "-10:SIGKILL", "-10:SIGCONT")
}

// A process gets one SIGTERM, whatever role it moves between: a bystander
// that takes back fds it had parked becomes a holder without a second
// SIGTERM, and gets its SIGKILL kill-after after the first; once the output
// is complete, the rest sends it no SIGTERM either.
func TestDecideOneSigtermAcrossRoles(t *testing.T) {
	b := newDecideBed(t)
	parked := func(holds bool) *procview.Proc {
		p := &procview.Proc{PID: 40, PPID: 1, State: "S", Cmdline: []string{"python3"}, Starttime: 40}
		if holds {
			p.Writes = map[uint64][]int{inoOut: {1}}
			p.KeptWrites = map[uint64]bool{inoOut: true}
		}
		return p
	}
	b.Show(parked(false))
	b.mainExits()
	b.decide(0, wait(time.Second))
	b.decide(time.Second, end, "40:SIGTERM", "40:SIGCONT")
	b.Show(parked(true))
	b.decide(50*time.Millisecond, end)
	b.decide(400*time.Millisecond, end)
	b.decide(50*time.Millisecond, end, "40:SIGKILL")

	// A holder that closes its copy is one of the rest: no second SIGTERM.
	b = newDecideBed(t)
	b.Show(leaktest.Sleeper(20, 1))
	b.mainExits()
	b.decide(0, wait(time.Second))
	b.decide(time.Second, end, "20:SIGTERM")
	b.Show(&procview.Proc{PID: 20, PPID: 1, State: "S", Cmdline: []string{"sleep", "1000"}, Starttime: 20})
	b.complete()
	b.decide(50*time.Millisecond, end)
	b.decide(449*time.Millisecond, end)
	b.decide(time.Millisecond, end, "20:SIGKILL", "20:SIGCONT")
}

// What is below a source gets its SIGTERM when the grace ends, as a
// bystander does; what is below a relay waits for its relay.
func TestDecideBelowSourceEndedAtGrace(t *testing.T) {
	b := newDecideBed(t)
	src := leaktest.Sleeper(20, 1)
	below := &procview.Proc{PID: 21, PPID: 20, State: "S", Cmdline: []string{"sleep", "1000"}, Starttime: 21}
	relay := &procview.Proc{PID: 30, PPID: 1, State: "S", Cmdline: []string{"xargs"}, Starttime: 30,
		Writes: map[uint64][]int{inoOut: {1}}, Reads: map[uint64][]int{inoRelay: {0}}}
	feeder := &procview.Proc{PID: 31, PPID: 1, State: "S", Cmdline: []string{"seq"}, Starttime: 31,
		Writes: map[uint64][]int{inoRelay: {1}}}
	belowRelay := &procview.Proc{PID: 32, PPID: 30, State: "S", Cmdline: []string{"sh"}, Starttime: 32}
	b.Show(src, below, relay, feeder, belowRelay)
	b.mainExits()
	b.decide(0, wait(time.Second))
	b.decide(time.Second, end, "20:SIGTERM", "31:SIGTERM", "21:SIGTERM", "21:SIGCONT")
	b.decide(500*time.Millisecond, end, "20:SIGKILL", "31:SIGKILL", "21:SIGKILL", "21:SIGCONT")
}

// Every wait has a bound: a holder in state D keeps its SIGKILL pending, so
// half a second after it (the reap allowance) the output is given up on,
// the holder named with why, and then the run is over without it, within
// grace + kill-after + 1 s.
func TestDecideGiveUpOnHolderInStateD(t *testing.T) {
	b := newDecideBed(t)
	frozen := leaktest.Sleeper(20, 1)
	frozen.State = "D"
	b.Show(frozen)
	b.mainExits()
	b.decide(0, wait(time.Second))
	b.decide(time.Second, end, "20:SIGTERM")
	b.decide(500*time.Millisecond, end, "20:SIGKILL")
	b.decide(450*time.Millisecond, end, "20:SIGKILL")
	b.decide(50*time.Millisecond, giveUp, "20:SIGKILL")
	b.decide(50*time.Millisecond, end, "20:SIGKILL", "20:SIGCONT")
	b.decide(50*time.Millisecond, exit)
	b.said("waiting up to 1s for its output to reach end of file",
		"the first look for holders took 0s",
		"the main child exited 1s ago, but 1 process is still holding its output; ending it:",
		"  1 [sleeping] tinit",
		"  └─ 20 [uninterruptible] sleep 1000  <- holds stdout (fd 1)",
		"1 process holds the output but will not die or cannot be reaped; not waiting for it any longer:",
		"  20 [uninterruptible] sleep 1000  <- state D (uninterruptible sleep): its SIGKILL waits until it wakes",
		"ending the processes that are left",
		"1 process will not die or cannot be reaped; exiting without it:",
		"  20 [uninterruptible] sleep 1000  <- state D (uninterruptible sleep): its SIGKILL waits until it wakes")
}

// A process tinit may not signal (EPERM: it became root) and a zombie only
// its tracer may reap are given up on the reap allowance after their
// SIGKILL, each named with why.
func TestDecideGiveUpOnDeniedAndTraced(t *testing.T) {
	b := newDecideBed(t)
	root := &procview.Proc{PID: 40, PPID: 1, State: "S", Cmdline: []string{"daemon"}, Starttime: 40}
	traced := &procview.Proc{PID: 41, PPID: 1, State: "Z", Cmdline: []string{"sleep"}, Starttime: 41}
	b.Denied = map[int]bool{40: true}
	b.Tracers = map[int]int{41: 77}
	b.Show(root, traced)
	b.complete()
	b.mainExits()
	b.decide(0, end, "40:SIGTERM", "40:SIGCONT", "41:SIGTERM", "41:SIGCONT")
	b.decide(500*time.Millisecond, end, "40:SIGKILL", "40:SIGCONT", "41:SIGKILL", "41:SIGCONT")
	b.decide(499*time.Millisecond, end, "40:SIGKILL", "40:SIGCONT", "41:SIGKILL", "41:SIGCONT")
	b.decide(time.Millisecond, end, "40:SIGKILL", "40:SIGCONT", "41:SIGKILL", "41:SIGCONT")
	b.decide(50*time.Millisecond, exit)
	b.said("ending the processes that are left",
		"2 processes will not die or cannot be reaped; exiting without them:",
		"  40 [sleeping] daemon  <- not permitted to signal it",
		"  41 [zombie] sleep  <- a zombie traced by PID 77, which must reap it first")
}

// A descendant whose fds tinit may not read may hold the output or not: it
// is ended as a bystander, and drawn and counted as leaked, with the
// signal that reached it.
func TestDecideUnreadableFdsLeaked(t *testing.T) {
	b := newDecideBed(t)
	b.Hidden = map[int]bool{40: true}
	b.Show(&procview.Proc{PID: 40, PPID: 1, State: "S", Cmdline: []string{"secret"}, Starttime: 40})
	b.mainExits()
	b.decide(0, wait(time.Second))
	b.decide(time.Second, end, "40:SIGTERM", "40:SIGCONT")
	b.said("waiting up to 1s for its output to reach end of file",
		"the first look for holders took 0s",
		"the main child exited 1s ago, but its output is still open, and tinit may not read the fds of 1 process that may hold it; ending it:",
		"  1 [sleeping] tinit",
		"  └─ 40 [sleeping] secret  <- its fds cannot be read",
		"ending the processes that are left")
	b.decide(50*time.Millisecond, end)
	if l := b.e.Leaks(); len(l) != 1 || l[0].PID != 40 || !l[0].Unreadable || l[0].Signal != "SIGTERM" {
		t.Fatalf("leaks: %+v", l)
	}
}

// After a second stop signal every holder gets SIGKILL at once, and one in
// state D is given up on the reap allowance after it, as on the clock.
func TestDecideSecondStopGivesUpOnStateD(t *testing.T) {
	b := newDecideBed(t)
	frozen := leaktest.Sleeper(20, 1)
	frozen.State = "D"
	b.Show(frozen)
	b.mainExits()
	b.decide(0, wait(time.Second))
	b.e.Stop(b.Clock)
	b.e.Stop(b.Clock)
	b.ExpectSent(b.t, "20:SIGKILL", "20:SIGCONT")
	b.decide(0, end, "20:SIGKILL")
	b.decide(499*time.Millisecond, end, "20:SIGKILL")
	b.decide(time.Millisecond, giveUp, "20:SIGKILL")
	b.decide(50*time.Millisecond, end, "20:SIGKILL", "20:SIGCONT")
	b.decide(50*time.Millisecond, exit)
}
