package subreaper

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"tinit/internal/leak"
	"tinit/internal/leak/leaktest"
	"tinit/internal/procview"
	"tinit/internal/tlog"
)

// The loop's own part, run against a fake world (a clock that moves only
// when told, snapshots made by hand, a record of every signal): gathering
// the facts leak's Decide is given, carrying out what it decides (giving up
// on the output, exiting), stop signals, and the report. The rules of the
// decision itself are tested beside it, in leak; the integration tests run
// both with real processes and real time.

// scanInterval is the pace of the rounds of ending, leak's Clocks.Round.
var scanInterval = leak.ClocksFor(0, 0).Round

const mainPID = 10

type exited struct {
	pid int
	ws  unix.WaitStatus
}

// fakeWorld is a world whose /proc shows Snap (nil: no /proc at all).
type fakeWorld struct {
	*leaktest.System
	exits []exited // what the next reap reaps
	left  bool     // whether a child is left after it
}

func (f *fakeWorld) reap(_ bool, onReap func(int, unix.WaitStatus, string)) bool {
	for _, e := range f.exits {
		onReap(e.pid, e.ws, "")
	}
	f.exits = nil
	return f.left
}

// fakeOutput is the drain: one stream, bytes pending or not.
type fakeOutput struct {
	pending   bool
	abandoned int // how many times Abandon was called
}

func (o *fakeOutput) Inodes() map[uint64]string { return map[uint64]string{leaktest.InoOut: "stdout"} }
func (o *fakeOutput) Pending() bool             { return o.pending }
func (o *fakeOutput) Done() <-chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}
func (o *fakeOutput) Abandon()        { o.abandoned++ }
func (o *fakeOutput) Abandoned() bool { return o.abandoned > 0 }
func (o *fakeOutput) Finish()         {}

// stepBed is a run past its start, its main child running, with a grace
// of 1 s and a kill-after of 500 ms.
type stepBed struct {
	*fakeWorld
	out  *fakeOutput
	r    *run
	logs *os.File // the read end of the log's pipe
	t    *testing.T
}

func newStepBed(t *testing.T) *stepBed {
	rd, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeWorld{System: leaktest.New(), left: true}
	o := &fakeOutput{}
	r := &run{
		cfg:  Config{Grace: time.Second, KillAfter: 500 * time.Millisecond, Verbosity: 1},
		l:    tlog.NewTo(1, int(wr.Fd())),
		sys:  f,
		out:  o,
		pid1: true, mainPID: mainPID, children: true, start: f.Clock.Add(-100 * time.Millisecond),
	}
	r.newEnding()
	// The queue's writer outlives the test: it must be done with the pipe
	// before the pipe's fd number can name another test's.
	t.Cleanup(func() { r.l.Flush(); rd.Close(); wr.Close() })
	return &stepBed{fakeWorld: f, out: o, r: r, logs: rd, t: t}
}

// mainExits reaps the main child, as the loop does on SIGCHLD.
func (b *stepBed) mainExits() {
	b.exits = append(b.exits, exited{mainPID, unix.WaitStatus(3 << 8)})
	b.r.children = b.r.reap()
}

// complete tells the run its output reached end of file now.
func (b *stepBed) complete() { b.r.drainedAt = b.Clock }

// step runs the loop's step d after the last one and checks what it
// returned and sent.
func (b *stepBed) step(d time.Duration, exit bool, wake time.Duration, sent ...string) {
	b.t.Helper()
	b.Clock = b.Clock.Add(d)
	b.Sent = nil
	got := b.r.step(b.Clock)
	gotExit, gotWake := got.Do == leak.Exit, got.Wake
	if gotExit != exit || gotWake != wake {
		b.t.Fatalf("at +%v: step = %v, %v; want %v, %v", d, gotExit, gotWake, exit, wake)
	}
	b.ExpectSent(b.t, sent...)
}

// said checks every log line written so far, and forgets them.
func (b *stepBed) said(lines ...string) {
	b.t.Helper()
	b.r.l.Flush()
	buf := make([]byte, 1<<16)
	if err := unix.SetNonblock(int(b.logs.Fd()), true); err != nil {
		b.t.Fatal(err)
	}
	n, _ := unix.Read(int(b.logs.Fd()), buf)
	got := strings.Split(strings.TrimSuffix(string(buf[:max(n, 0)]), "\n"), "\n")
	if n <= 0 {
		got = nil
	}
	for i := range lines {
		lines[i] = "tinit: " + lines[i]
	}
	if !reflect.DeepEqual(got, lines) {
		b.t.Fatalf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(lines, "\n"))
	}
}

// Grace runs out on the clock: then the holder gets SIGTERM, and SIGKILL
// kill-after later; when the output is complete and no child is left,
// tinit exits, and its report has the times and the leak the loop saw.
func TestStepGraceThenTermThenKill(t *testing.T) {
	b := newStepBed(t)
	b.step(0, false, -1)
	b.Show(leaktest.Sleeper(20, 1))
	b.mainExits()
	b.step(0, false, time.Second)
	b.step(999*time.Millisecond, false, time.Millisecond)
	b.said("main child 10 exited with status 3", "waiting up to 1s for its output to reach end of file")
	b.step(time.Millisecond, false, scanInterval, "20:SIGTERM")
	b.said("the first look for holders took 0s",
		"the main child exited 1s ago, but 1 process is still holding its output; ending it:",
		"  1 [sleeping] tinit",
		"  └─ 20 [sleeping] sleep 1000  <- holds stdout (fd 1)")
	b.step(499*time.Millisecond, false, scanInterval)
	b.step(time.Millisecond, false, scanInterval, "20:SIGKILL")
	b.step(50*time.Millisecond, false, scanInterval, "20:SIGKILL")
	b.Show()
	b.left = false
	b.complete()
	b.step(10*time.Millisecond, true, 0)
	rep := b.r.report(3)
	if rep.MainMs != 100 || rep.DrainMs != 1550 || len(rep.Leaked) != 1 ||
		rep.Leaked[0].PID != 20 || rep.Leaked[0].Signal != "SIGKILL" || rep.Leaked[0].State != "S" {
		t.Fatalf("report: %+v, leaked %+v", rep, rep.Leaked[0])
	}
}

// A stop signal during grace cuts it short, and the loop says which: the
// holder gets SIGTERM in the very next step.
func TestStepStopSignalSkipsGrace(t *testing.T) {
	b := newStepBed(t)
	b.Show(leaktest.Sleeper(20, 1))
	b.mainExits()
	b.step(0, false, time.Second)
	b.r.forward(unix.SIGTERM)
	b.step(100*time.Millisecond, false, scanInterval, "20:SIGTERM")
	b.said("main child 10 exited with status 3", "waiting up to 1s for its output to reach end of file",
		"SIGTERM after the main child exited: ending what is left now",
		"the first look for holders took 0s",
		"the main child exited 100ms ago, but 1 process is still holding its output; ending it:",
		"  1 [sleeping] tinit",
		"  └─ 20 [sleeping] sleep 1000  <- holds stdout (fd 1)")
}

// With the output complete and no child left when the main child exits,
// tinit exits in that step, without a scan or a signal; an output that
// ended before the main child did took no time to drain.
func TestStepExitWhenNoChildrenRemain(t *testing.T) {
	b := newStepBed(t)
	b.complete()
	b.left = false
	b.Clock = b.Clock.Add(10 * time.Millisecond)
	b.mainExits()
	b.step(0, true, 0)
	b.said("main child 10 exited with status 3")
	if rep := b.r.report(3); rep.DrainMs != 0 || rep.MainMs != 110 {
		t.Fatalf("report: %+v", rep)
	}
}

// Without /proc a subreaper can end only the main child's process group.
// Once the group has had its SIGKILL and kill(2) says it is empty, what
// left the group is out of reach: the loop gives up on the output once
// when told to, says so after leak's own line, and exits a round later,
// within grace + kill-after and a round.
func TestStepNoProcSubreaperLeavesUnreachable(t *testing.T) {
	b := newStepBed(t)
	b.GroupEmptiesOnKill = true
	b.r.pid1 = false
	b.r.newEnding()
	b.mainExits()
	b.step(0, false, time.Second)
	b.step(time.Second, false, scanInterval, "-10:SIGTERM", "-10:SIGCONT")
	b.step(499*time.Millisecond, false, scanInterval)
	b.step(time.Millisecond, false, scanInterval, "-10:SIGKILL", "-10:SIGCONT")
	b.step(50*time.Millisecond, false, scanInterval, "-10:SIGKILL")
	if b.out.abandoned != 1 {
		t.Fatalf("abandoned %d times a round after the group's SIGKILL, want once", b.out.abandoned)
	}
	b.complete()
	b.step(10*time.Millisecond, true, 0)
	b.said("main child 10 exited with status 3", "waiting up to 1s for its output to reach end of file",
		"cannot see which processes hold the output (/proc does not show this pid namespace); ending the main child's process group instead",
		"ending the processes that are left",
		"the output is still open, but no process that holds it can be found; not waiting for it any longer",
		"output complete: not waiting for end of file any longer, but the pipes are still open and read until tinit exits",
		"descendants that left the main child's process group are still running; without /proc tinit cannot name them, so it exits without them")
}

// A descendant whose fds tinit may not read may hold the output or not:
// the report has it as leaked, unreadable, with the signal that reached it.
func TestStepUnreadableFdsReported(t *testing.T) {
	b := newStepBed(t)
	secret := &procview.Proc{PID: 40, PPID: 1, State: "S", Cmdline: []string{"secret"}, Starttime: 40}
	b.Hidden = map[int]bool{40: true}
	b.Show(secret)
	b.mainExits()
	b.step(0, false, time.Second)
	b.step(time.Second, false, scanInterval, "40:SIGTERM", "40:SIGCONT")
	b.step(50*time.Millisecond, false, scanInterval)
	rep := b.r.report(3)
	if len(rep.Leaked) != 1 || rep.Leaked[0].PID != 40 || !rep.Leaked[0].Unreadable || rep.Leaked[0].Signal != "SIGTERM" {
		t.Fatalf("report leaked %+v", rep.Leaked)
	}
	if !strings.Contains(string(rep.JSON()), `"fds_unreadable":true,"signal":"SIGTERM"`) {
		t.Fatalf("report JSON %s", rep.JSON())
	}
}
