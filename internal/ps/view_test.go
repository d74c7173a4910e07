package ps

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"
	"tinit/internal/procview"
	"tinit/internal/render"
	"tinit/internal/state"
)

var updatePsGolden = flag.Bool("update-ps-golden", false, "rewrite testdata/ps*.golden from the current output")

// Pipe inodes of the hand-made tinit below.
const (
	psOut, psErr, psRelay, psStdin = 1100, 1200, 1300, 1600
)

type fdm = map[uint64][]int

// psp makes one process of a hand-made snapshot. Start times are in ticks.
func psp(pid, ppid, pgid, sid int, state string, start uint64, comm string, argv []string, w, r fdm) *procview.Proc {
	return &procview.Proc{PID: pid, PPID: ppid, Pgid: pgid, Sid: sid, State: state, Comm: comm, Cmdline: argv,
		Starttime: start, Writes: w, Reads: r}
}

// psInput is tinit as pid 1 of a testbed, 75 s after it started, with what
// test/integration/ps_test.go sets up for real: a main child (7) that leaked
// sleep 1000 on stdout (8), a setsid daemon on stderr (11), a parent that
// never waits (13) for its zombie (14), a relay (15 feeds cat 16), and a
// stopped process whose name would be an escape sequence (20).
func psInput() *Input {
	sh := []string{"sh", "-c", "sleep 1000 2>/dev/null & ...; exit 3"}
	procs := []*procview.Proc{
		psp(1, 0, 1, 1, "S", 1000, "tinit", []string{"/tinit", "--grace", "60s", "--", sh[0], sh[1], sh[2]},
			nil, fdm{psOut: {3}, psErr: {5}, psStdin: {0}}),
		psp(7, 1, 7, 1, "S", 1002, "sh", sh, fdm{psOut: {1}, psErr: {2}}, fdm{psStdin: {0}}),
		psp(8, 7, 7, 1, "S", 1010, "sleep", []string{"sleep", "1000"}, fdm{psOut: {1}}, fdm{psStdin: {0}}),
		psp(11, 1, 11, 11, "S", 1020, "sleep", []string{"sleep", "1001"}, fdm{psErr: {2}}, nil),
		psp(13, 1, 7, 1, "S", 1030, "sleep", []string{"sleep", "1002"}, nil, nil),
		psp(14, 13, 7, 1, "Z", 1031, "sleep", nil, nil, nil),
		psp(15, 7, 7, 1, "S", 1040, "sleep", []string{"sleep", "1003"}, fdm{psRelay: {1}, psErr: {2}}, nil),
		psp(16, 7, 7, 1, "S", 1040, "cat", []string{"cat"}, fdm{psOut: {1}, psErr: {2}}, fdm{psRelay: {0}}),
		psp(20, 7, 7, 1, "T", 1500, "x", []string{"evil\x1b]0;owned\a", "a b"}, nil, nil),
		psp(30, 0, 30, 30, "R", 8400, "tinit", []string{"/tinit", "ps"}, fdm{9000: {1}}, nil),
	}
	s := &procview.Snapshot{Self: 1, Procs: map[int]*procview.Proc{}}
	for _, p := range procs {
		s.Procs[p.PID] = p
	}
	return &Input{Snap: s, Pipes: []procview.PipeEnd{{Fd: 5, Inode: psErr}, {Fd: 3, Inode: psOut}}, Uptime: 1000 + 75*ticksPerSecond}
}

// psExited is psInput after the main child exited: its children are
// tinit's orphans now.
func psExited() *Input {
	in := psInput()
	delete(in.Snap.Procs, 7)
	for _, p := range in.Snap.Procs {
		if p.PPID == 7 {
			p.PPID = 1
		}
	}
	return in
}

func TestPsGolden(t *testing.T) {
	var text bytes.Buffer
	for _, in := range []*Input{psInput(), psExited()} {
		text.WriteString(strings.Join(NewView(in).Render(), "\n") + "\n\n")
	}
	golden(t, "testdata/ps.golden", text.Bytes())
	js := NewView(psInput()).JSON()
	var v map[string]any
	if err := json.Unmarshal(js, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, js)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, js, "", "  "); err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/ps.json.golden", append(pretty.Bytes(), '\n'))
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *updatePsGolden {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run TestPsGolden -update-ps-golden writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs; got:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestPsStreamNames(t *testing.T) {
	one := func(tty1, tty2 bool, holds fdm) map[uint64]string {
		in := psInput()
		in.Pipes = []procview.PipeEnd{{Fd: 4, Inode: psErr}}
		in.TTY[1], in.TTY[2] = tty1, tty2
		for _, p := range in.Snap.Procs {
			if p.PID != 1 {
				p.Writes = nil
			}
		}
		in.Snap.Procs[8].Writes = holds
		return nameStreams(in)
	}
	for _, c := range []struct {
		name       string
		tty1, tty2 bool
		holds      fdm
		want       string
	}{
		{"tty on 1", true, false, fdm{psErr: {1}}, "stderr"},
		{"tty on 2", false, true, fdm{psErr: {2}}, "stdout"},
		{"held on 2", false, false, fdm{psErr: {2}}, "stderr"},
		{"held on 1", false, false, fdm{psErr: {1}}, "stdout"},
		{"held on both", false, false, fdm{psErr: {1, 2}}, "output"},
		{"held elsewhere", false, false, fdm{psErr: {7}}, "output"},
	} {
		if got := one(c.tty1, c.tty2, c.holds)[psErr]; got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	merged := psInput()
	merged.Pipes, merged.OneOutput = []procview.PipeEnd{{Fd: 4, Inode: psErr}}, true
	if got := nameStreams(merged)[psErr]; got != state.MergedName {
		t.Errorf("one pipe for one destination: %q, want %q", got, state.MergedName)
	}
	if got := nameStreams(psInput()); got[psOut] != "stdout" || got[psErr] != "stderr" || len(got) != 2 {
		t.Errorf("two pipes: %v", got)
	}
}

func TestPsMainChild(t *testing.T) {
	v := NewView(psInput())
	if v.Main == nil || v.Main.PID != 7 {
		t.Fatalf("main child: %+v, want 7", v.Main)
	}
	// With 7 gone the oldest child is the setsid daemon 11, which leads a
	// group, but in a session of its own.
	if v := NewView(psExited()); v.Main != nil {
		t.Fatalf("main child after it exited: %d", v.Main.PID)
	}
	// The oldest left is 8: not a group leader.
	in := psExited()
	delete(in.Snap.Procs, 11)
	if v := NewView(in); v.Main != nil {
		t.Fatalf("main child after it exited: %d", v.Main.PID)
	}
}

func TestPsSummary(t *testing.T) {
	in := psExited()
	in.Pipes = nil
	if got, want := NewView(in).Summary(), "no output pipe is open; main child has exited; 7 processes are left for tinit to end"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	in.Snap.Procs = map[int]*procview.Proc{1: in.Snap.Procs[1]}
	if got, want := NewView(in).Summary(), "no output pipe is open; main child has exited; nothing is left: tinit is exiting"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	in = psInput()
	for _, p := range in.Snap.Procs {
		if p.PID != 1 {
			p.Writes, p.Reads = nil, nil
		}
	}
	in.Snap.Procs[15].Writes = fdm{psRelay: {1}}
	in.Snap.Procs[16].Writes = fdm{psOut: {1}}
	in.Snap.Procs[16].Reads = fdm{psRelay: {0}}
	if got, want := NewView(in).Summary(), "1 process holds stdout, stderr is open, but no process here holds it, 1 more feeds them through a relay; main child 7 running for 1m14s"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
}

func TestFormatAge(t *testing.T) {
	for sec, want := range map[uint64]string{0: "0s", 59: "59s", 60: "1m00s", 3599: "59m59s", 3600: "1h00m", 86399: "23h59m", 90000: "1d01h"} {
		if got := formatAge(sec); got != want {
			t.Errorf("formatAge(%d) = %q, want %q", sec, got, want)
		}
	}
}

// A command line too long for a line is cut, never what the process holds.
func TestPsLongCommandKeepsMarks(t *testing.T) {
	in := psInput()
	in.Snap.Procs[8].Cmdline = []string{"sleep", strings.Repeat("é", 400)}
	for _, line := range NewView(in).Render() {
		if len(line) > render.MaxLine+len("…") {
			t.Errorf("line of %d bytes: %q", len(line), line)
		}
		if strings.Contains(line, " sleep éé") && !strings.HasSuffix(line, "é…  <- holds stdout (fd 1)") {
			t.Errorf("long line lost its marks: %q", line)
		}
	}
}

// A main child that has exited but is not reaped yet is still the main
// child, not an orphan, and not running.
func TestPsZombieMainChild(t *testing.T) {
	in := psInput()
	in.Snap.Procs[7].State = "Z"
	v := NewView(in)
	if v.Main == nil || v.Main.PID != 7 || v.MainRunning() {
		t.Fatalf("main child %+v, running %v", v.Main, v.MainRunning())
	}
	if r := v.Rows[1]; r.P.PID != 7 || !r.Main || r.Orphan {
		t.Fatalf("row %+v", r)
	}
	if got, want := v.Summary(), "3 processes hold stdout, 4 hold stderr; main child 7 has exited"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	if js := string(v.JSON()); !strings.Contains(js, `"main_child":{"exited":true,"pid":7,"age_ms":null}`) {
		t.Errorf("JSON: %s", js)
	}
}
