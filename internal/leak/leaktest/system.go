// Package leaktest is a fake leak.System for the tests of what decides whom
// to signal and when (the leak package's Ender and Decide, and the
// subreaper's loop that carries Decide out): a clock
// that moves only when told, snapshots made by hand, and a record of every
// signal, so that the rules run in microseconds with no process and no
// sleep. The integration tests run the same rules on real processes.
package leaktest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"tinit/internal/procview"
)

// System is a leak.System whose /proc shows Snap.
type System struct {
	Clock time.Time
	Snap  *procview.Snapshot // what both scans see; nil: no /proc at all
	Sent  []string           // "PID:SIGNAL" in the order sent; kill(2) targets as given
	Wrote map[int]uint64     // bytes each process has written so far
	// GroupEmptiesOnKill: kill(2) of a process group says ESRCH once
	// the group has had a SIGKILL. Unset, a group never empties.
	GroupEmptiesOnKill bool
	groupKilled        bool
	// Denied are the pids a signal to which fails with EPERM (recorded
	// in Sent all the same); Tracers, who ptraces each pid.
	Denied  map[int]bool
	Tracers map[int]int
	// Hidden are the pids whose fds tinit may not read.
	Hidden map[int]bool
}

// New is a System at a fixed time, with no /proc.
func New() *System { return &System{Clock: time.Unix(1000, 0), Wrote: map[int]uint64{}} }

func (f *System) Now() time.Time { return f.Clock }

func (f *System) ScanOwn() (*procview.Snapshot, error) {
	if f.Snap == nil {
		return nil, procview.ErrNoProc
	}
	return f.Snap, nil
}

func (f *System) Scan() (*procview.Snapshot, error) { return f.ScanOwn() }

func (f *System) Written(p *procview.Proc) (uint64, bool, bool) {
	return f.Wrote[p.PID], false, true
}

func (f *System) Signal(p *procview.Proc, sig unix.Signal) error {
	f.Sent = append(f.Sent, fmt.Sprintf("%d:%s", p.PID, unix.SignalName(sig)))
	if f.Denied[p.PID] {
		return unix.EPERM
	}
	return nil
}

func (f *System) Tracer(p *procview.Proc) int { return f.Tracers[p.PID] }

func (f *System) FdsHidden(p *procview.Proc) bool { return f.Hidden[p.PID] }

func (f *System) Kill(pid int, sig unix.Signal) error {
	f.Sent = append(f.Sent, fmt.Sprintf("%d:%s", pid, unix.SignalName(sig)))
	if pid < 0 && f.groupKilled {
		return unix.ESRCH
	}
	f.groupKilled = f.groupKilled || (f.GroupEmptiesOnKill && sig == unix.SIGKILL)
	return nil
}

// InoOut is the pipe inode of the output that Show's tinit reads.
const InoOut = 100

// Show makes /proc show tinit (pid 1, reading InoOut) and ps.
func (f *System) Show(ps ...*procview.Proc) {
	f.Snap = &procview.Snapshot{Self: 1, Procs: map[int]*procview.Proc{
		1: {PID: 1, State: "S", Cmdline: []string{"tinit"}, Starttime: 1, Reads: map[uint64][]int{InoOut: {3}}},
	}}
	for _, p := range ps {
		f.Snap.Procs[p.PID] = p
	}
}

// Sleeper is a leaked `sleep 1000` that holds InoOut on its fd 1.
func Sleeper(pid, ppid int) *procview.Proc {
	return &procview.Proc{PID: pid, PPID: ppid, State: "S", Cmdline: []string{"sleep", "1000"}, Starttime: uint64(pid),
		Writes: map[uint64][]int{InoOut: {1}}, KeptWrites: map[uint64]bool{InoOut: true}}
}

// ExpectSent fails t unless what was sent since the last call is want, in
// that order, and forgets it.
func (f *System) ExpectSent(t testing.TB, want ...string) {
	t.Helper()
	if len(f.Sent) != 0 || len(want) != 0 {
		if !reflect.DeepEqual(f.Sent, want) {
			t.Fatalf("sent %v, want %v", f.Sent, want)
		}
	}
	f.Sent = nil
}
