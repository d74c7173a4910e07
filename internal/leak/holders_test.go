package leak

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"tinit/internal/procview"
	"tinit/internal/render"
)

// proc makes a process for a hand-made snapshot; w and r map pipe inodes
// to the fds open on them for writing and reading.
func proc(pid, ppid int, state string, cmd string, w, r map[uint64][]int) *procview.Proc {
	var argv []string
	if cmd != "" {
		argv = strings.Split(cmd, " ")
	}
	return &procview.Proc{PID: pid, PPID: ppid, State: state, Comm: "c" + fmt.Sprint(pid), Cmdline: argv,
		Starttime: uint64(1000 + pid), Writes: w, Reads: r}
}

type m = map[uint64][]int

const (
	inoOut   = 100
	inoErr   = 200
	inoRelay = 300
	inoOuter = 400
	inoStdin = 600
)

// leakSnapshot is tinit (pid 1) after the main child exited, with:
// 5 a leaked sleep holding both streams; 7 a subshell feeding relay 6;
// 8 a setsid daemon (parent 1, other session) holding stderr on fd 5;
// 10 a relay fed from outside tinit's tree by 9; 13 a relay of tinit's own
// stdin, whose writer 14 must not count; 11 holds an unrelated pipe;
// 30 a holder below a plain shell 29.
func leakSnapshot() *procview.Snapshot {
	ps := []*procview.Proc{
		proc(1, 0, "S", "tinit -- sh -c test", nil, m{inoOut: {3}, inoErr: {4}, inoStdin: {0}}),
		proc(5, 1, "S", "sleep 1000", m{inoOut: {1}, inoErr: {2}}, nil),
		proc(6, 1, "S", "cat", m{inoOut: {1}}, m{inoRelay: {0}}),
		proc(7, 1, "T", "sh -c sleep 1; echo deep", m{inoRelay: {1}, inoErr: {2}}, nil),
		proc(8, 1, "S", "daemon", m{inoErr: {5}}, nil),
		proc(9, 0, "S", "outsider", m{inoOuter: {1}}, nil),
		proc(10, 1, "S", "cat", m{inoOut: {1}}, m{inoOuter: {0}}),
		proc(11, 1, "S", "other", m{500: {1}}, nil),
		proc(13, 1, "R", "cat -", m{inoOut: {1}}, m{inoStdin: {0}}),
		proc(14, 1, "S", "stdin-writer", m{inoStdin: {7}}, nil),
		proc(29, 1, "S", "sh", nil, nil),
		proc(30, 29, "Z", "", m{inoErr: {2}}, nil),
	}
	s := &procview.Snapshot{Self: 1, Procs: map[int]*procview.Proc{}}
	for _, p := range ps {
		s.Procs[p.PID] = p
	}
	return s
}

var ours = map[uint64]string{inoOut: "stdout", inoErr: "stderr"}

type holderView struct {
	PID   int
	Holds []Hold
	Feeds []int
	Relay bool
}

func view(hs []*Holder) []holderView {
	var v []holderView
	for _, h := range hs {
		v = append(v, holderView{h.PID, h.Holds, h.Feeds, h.Relay})
	}
	return v
}

func TestHoldersGraph(t *testing.T) {
	got := view(Find(leakSnapshot(), ours))
	want := []holderView{
		{5, []Hold{{"stdout", 1}, {"stderr", 2}}, nil, false},
		{6, []Hold{{"stdout", 1}}, nil, true},
		{7, []Hold{{"stderr", 2}}, []int{6}, false},
		{8, []Hold{{"stderr", 5}}, nil, false},
		{10, []Hold{{"stdout", 1}}, nil, false},
		{13, []Hold{{"stdout", 1}}, nil, false},
		{30, []Hold{{"stderr", 2}}, nil, false},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("holders:\n got %+v\nwant %+v", got, want)
	}
}

// A relay chain is followed upstream through any number of pipes, and a
// process that only feeds the chain is a holder too.
func TestHoldersChain(t *testing.T) {
	s := &procview.Snapshot{Self: 1, Procs: map[int]*procview.Proc{}}
	for _, p := range []*procview.Proc{
		proc(1, 0, "S", "tinit", nil, m{inoOut: {3}}),
		proc(2, 1, "S", "tee", m{inoOut: {1}}, m{701: {0}}),
		proc(3, 1, "S", "sed", m{701: {1}}, m{702: {0}}),
		proc(4, 3, "S", "yes", m{702: {1}}, nil),
	} {
		s.Procs[p.PID] = p
	}
	got := view(Find(s, map[uint64]string{inoOut: "stdout"}))
	want := []holderView{
		{2, []Hold{{"stdout", 1}}, nil, true},
		{3, nil, []int{2}, true},
		{4, nil, []int{3}, false},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("holders:\n got %+v\nwant %+v", got, want)
	}
}

// Relays that only feed each other have no source to end first: each of
// them is a source, or tinit would wait for ever.
func TestHoldersRelayRing(t *testing.T) {
	s := &procview.Snapshot{Self: 1, Procs: map[int]*procview.Proc{}}
	for _, p := range []*procview.Proc{
		proc(1, 0, "S", "tinit", nil, m{inoOut: {3}}),
		proc(20, 1, "S", "cat", m{inoOut: {1}}, m{701: {0}}),
		proc(21, 1, "S", "cat", m{701: {1}}, m{702: {0}}),
		proc(22, 1, "S", "cat", m{702: {1}}, m{701: {0}}),
	} {
		s.Procs[p.PID] = p
	}
	for _, h := range Find(s, map[uint64]string{inoOut: "stdout"}) {
		if h.Relay {
			t.Fatalf("%d is still a relay in a ring without a source", h.PID)
		}
	}
}

func TestRenderTree(t *testing.T) {
	s := leakSnapshot()
	hs := Find(s, ours)
	var pick []*Holder
	for _, h := range hs {
		switch h.PID {
		case 5, 6, 7, 30:
			pick = append(pick, h)
		}
	}
	got := Tree(s, pick)
	want := []string{
		"1 [sleeping] tinit -- sh -c test",
		"├─ 5 [sleeping] sleep 1000  <- holds stdout (fd 1), holds stderr (fd 2)",
		"├─ 6 [sleeping] cat  <- holds stdout (fd 1), relay",
		`├─ 7 [stopped] sh -c sleep 1; echo deep  <- holds stderr (fd 2), feeds 6`,
		"└─ 29 [sleeping] sh",
		"   └─ 30 [zombie] [c30]  <- holds stderr (fd 2)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("tree:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A holder whose parent is not in the snapshot (it exited between the
// reads) is drawn as a root of its own, not dropped.
func TestRenderTreeOrphanRoot(t *testing.T) {
	s := leakSnapshot()
	s.Procs[40] = proc(40, 39, "S", "lost", m{inoOut: {1}}, nil)
	var h *Holder
	for _, x := range Find(s, ours) {
		if x.PID == 40 {
			h = x
		}
	}
	if h == nil {
		t.Fatal("40 is not a holder")
	}
	got := Tree(s, []*Holder{h})
	want := []string{"1 [sleeping] tinit -- sh -c test", "40 [sleeping] lost  <- holds stdout (fd 1)"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("tree: %q, want %q", got, want)
	}
}

// A long command line is cut, and what the process holds is still said.
func TestRenderTreeClipsLongLines(t *testing.T) {
	s := leakSnapshot()
	long := strings.Repeat("é", 400)
	s.Procs[5].Cmdline = []string{"sleep", long, "tail"}
	for _, line := range Tree(s, Find(s, ours)[:1]) {
		if len(line) > render.MaxLine+len("…") {
			t.Fatalf("line of %d bytes: %q", len(line), line)
		}
		if !strings.HasPrefix(line, "1 ") && !strings.HasSuffix(line, "é…  <- holds stdout (fd 1), holds stderr (fd 2)") {
			t.Fatalf("clipped line does not say so, or lost its note: %q", line)
		}
		if strings.ContainsRune(line, '\uFFFD') {
			t.Fatalf("clipped inside a character: %q", line)
		}
	}
}

// TestHoldersFeedsOnce: a source that writes into two pipes one relay reads
// (`cmd 2>&1 | cat` after `exec 3>&1`, say) feeds that relay once.
func TestHoldersFeedsOnce(t *testing.T) {
	s := &procview.Snapshot{Self: 1, Procs: map[int]*procview.Proc{}}
	for _, p := range []*procview.Proc{
		proc(1, 0, "S", "tinit", nil, m{inoOut: {3}, inoErr: {4}}),
		proc(5, 1, "S", "sleep 1000", m{301: {1}, 302: {2}}, nil),
		proc(6, 1, "S", "cat", m{inoOut: {1}}, m{301: {0}, 302: {3}}),
	} {
		s.Procs[p.PID] = p
	}
	for _, h := range Find(s, ours) {
		if h.PID == 5 && !reflect.DeepEqual(h.Feeds, []int{6}) {
			t.Errorf("feeds %v, want [6]", h.Feeds)
		}
	}
}
