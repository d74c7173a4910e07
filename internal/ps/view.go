package ps

import (
	"sort"
	"strconv"
	"strings"
	"tinit/internal/leak"
	"tinit/internal/procview"
	"tinit/internal/render"
	"tinit/internal/state"
)

// Input is what `tinit ps` read about one tinit instance. NewView makes
// sense of it without touching /proc, so its rules are tested on fixed input.
type Input struct {
	Snap  *procview.Snapshot // every process; Snap.Self is the tinit instance
	Pipes []procview.PipeEnd // tinit's own close-on-exec pipe read ends
	TTY   [3]bool            // which of tinit's fds 0, 1 and 2 are terminals
	// OneOutput: tinit's fds 1 and 2 are one destination, so its one pipe
	// carries both streams (state.MergedName).
	OneOutput bool
	Uptime    uint64       // clock ticks since boot when the snapshot was taken
	State     *state.State // what tinit itself says; nil for a tinit too old to say
}

// Stream is one of tinit's output pipes that has not reached end of file.
type Stream struct {
	Name    string // "stdout", "stderr", state.MergedName, or "output" when it cannot be told
	Fd      int    // tinit's read end
	Inode   uint64 // the pipe: pipe:[Inode] in /proc/PID/fd
	Holders []int  // processes holding its write end themselves
}

// Row is one process of the tree: tinit, or a process below it.
type Row struct {
	render.Row
	Main   bool         // tinit's main child
	Orphan bool         // a child of tinit that is not the main child
	Holder *leak.Holder // what it holds of tinit's output; nil for nothing
}

// View is everything `tinit ps` shows.
type View struct {
	Tinit   *procview.Proc
	Streams []Stream
	Main    *procview.Proc // nil once the main child has exited and been reaped
	Rows    []Row
	// Pause: tinit runs no command (-P), so none of its children is a
	// main child and it never has pipes.
	Pause  bool
	uptime uint64
}

// NewView draws conclusions from what was read.
func NewView(in *Input) *View {
	s := in.Snap
	v := &View{Tinit: s.Procs[s.Self], uptime: in.Uptime, Pause: in.State != nil && in.State.Pause}
	names := nameStreams(in)
	hs := leak.Find(s, names)
	byPID := map[int]*leak.Holder{}
	for _, h := range hs {
		byPID[h.PID] = h
	}
	pipes := append([]procview.PipeEnd(nil), in.Pipes...)
	sort.Slice(pipes, func(i, j int) bool { return pipes[i].Fd < pipes[j].Fd })
	for _, pe := range pipes {
		name, ok := names[pe.Inode]
		if !ok {
			continue
		}
		st := Stream{Name: name, Fd: pe.Fd, Inode: pe.Inode, Holders: []int{}}
		for _, h := range hs {
			if holdsStream(h, name) {
				st.Holders = append(st.Holders, h.PID)
			}
		}
		v.Streams = append(v.Streams, st)
	}
	var kids []*procview.Proc
	show := map[int]bool{s.Self: true}
	for _, p := range s.Descendants(s.Self) {
		show[p.PID] = true
		if p.PPID == s.Self {
			kids = append(kids, p)
		}
	}
	// A holder that is no descendant of tinit (it joined with nsenter or
	// podman exec and opened the pipe) keeps tinit waiting all the same:
	// it is drawn, as a root of its own.
	for _, h := range hs {
		show[h.PID] = true
	}
	if in.State != nil {
		if p := s.Procs[in.State.MainPID]; p != nil && in.State.MainPID != 0 && p.PPID == s.Self {
			v.Main = p
		}
	} else {
		v.Main = mainChild(s, kids)
	}
	for _, r := range render.Tree(s, show) {
		row := Row{Row: r, Holder: byPID[r.P.PID]}
		if r.P.PID != s.Self && r.P.PPID == s.Self {
			row.Main = r.P == v.Main
			row.Orphan = !row.Main
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}

// MainRunning tells whether the main child is alive: not gone, not a
// zombie tinit has yet to reap.
func (v *View) MainRunning() bool { return v.Main != nil && v.Main.State != "Z" }

func holdsStream(h *leak.Holder, name string) bool {
	for _, hd := range h.Holds {
		if hd.Stream == name {
			return true
		}
	}
	return false
}

// nameStreams tells which of tinit's pipes is stdout and which stderr, as
// tinit's state says. A tinit too old to say is guessed at: tinit makes the stdout pipe first and fds are handed out lowest first, so
// with two pipes the lower read end is stdout. A stream whose fd of tinit's
// is a terminal passes through, and a stream at end of file is closed: with
// one pipe, tinit's fds 1 and 2 being one destination make it both streams
// in one, a terminal on tinit's fd 1 or 2 names it; failing that, the fds
// its holders have it on (the main child and what it starts have stdout on
// fd 1 and stderr on fd 2); failing that it is just "output".
func nameStreams(in *Input) map[uint64]string {
	pipes := append([]procview.PipeEnd(nil), in.Pipes...)
	sort.Slice(pipes, func(i, j int) bool { return pipes[i].Fd < pipes[j].Fd })
	names := map[uint64]string{}
	if in.State != nil {
		// tinit says which pipe is which: no guess is needed.
		for _, pe := range pipes {
			if name, ok := in.State.Streams[pe.Inode]; ok {
				names[pe.Inode] = name
			}
		}
		return names
	}
	switch {
	case len(pipes) >= 2:
		names[pipes[0].Inode], names[pipes[1].Inode] = "stdout", "stderr"
	case len(pipes) == 1:
		ino := pipes[0].Inode
		switch {
		case in.OneOutput && !in.TTY[1]:
			names[ino] = state.MergedName
		case in.TTY[1] && !in.TTY[2]:
			names[ino] = "stderr"
		case in.TTY[2] && !in.TTY[1]:
			names[ino] = "stdout"
		default:
			names[ino] = voteStream(in.Snap, ino)
		}
	}
	return names
}

// voteStream names a pipe by the fd its holders have it on: a process with
// it on fd 1 and not on fd 2 counts for stdout, the reverse for stderr.
func voteStream(s *procview.Snapshot, ino uint64) string {
	out, err := 0, 0
	for _, h := range leak.Find(s, map[uint64]string{ino: ""}) {
		on := map[int]bool{}
		for _, hd := range h.Holds {
			on[hd.Fd] = true
		}
		switch {
		case on[1] && !on[2]:
			out++
		case on[2] && !on[1]:
			err++
		}
	}
	switch {
	case out > err:
		return "stdout"
	case err > out:
		return "stderr"
	}
	return "output"
}

// mainChild guesses the main child among the children of a tinit too old
// to say which it is (see state.State). tinit starts it
// before anything else, in a process group of its own in tinit's session.
// Every other child of tinit is an orphan descended from it, so started no
// earlier: if the oldest child (by start time, then pid) is not such a
// group leader, the main child has exited and been reaped. An orphan that made a process
// group of its own in tinit's session (a shell with job control does) and
// outlived the main child passes for it: /proc keeps no record of who
// forked whom.
func mainChild(s *procview.Snapshot, kids []*procview.Proc) *procview.Proc {
	var oldest *procview.Proc
	for _, k := range kids {
		if oldest == nil || k.Starttime < oldest.Starttime || (k.Starttime == oldest.Starttime && k.PID < oldest.PID) {
			oldest = k
		}
	}
	t := s.Procs[s.Self]
	if oldest == nil || t == nil || oldest.Pgid != oldest.PID || oldest.Sid != t.Sid {
		return nil
	}
	return oldest
}

// age is how long p has run, as "5s", "3m04s", "2h05m" or "3d04h".
func (v *View) age(p *procview.Proc) string {
	if v.uptime < p.Starttime {
		return "0s"
	}
	return formatAge((v.uptime - p.Starttime) / ticksPerSecond)
}

func (v *View) ageMs(p *procview.Proc) int64 {
	if v.uptime < p.Starttime {
		return 0
	}
	return int64(v.uptime-p.Starttime) * (1000 / ticksPerSecond)
}

func formatAge(sec uint64) string {
	two := func(n uint64) string {
		if n < 10 {
			return "0" + strconv.FormatUint(n, 10)
		}
		return strconv.FormatUint(n, 10)
	}
	switch {
	case sec < 60:
		return strconv.FormatUint(sec, 10) + "s"
	case sec < 3600:
		return strconv.FormatUint(sec/60, 10) + "m" + two(sec%60) + "s"
	case sec < 86400:
		return strconv.FormatUint(sec/3600, 10) + "h" + two(sec/60%60) + "m"
	}
	return strconv.FormatUint(sec/86400, 10) + "d" + two(sec/3600%24) + "h"
}

// Summary says in one line why tinit is still running: who holds which of
// its pipes open, whether the main child runs, and what is left to end.
func (v *View) Summary() string {
	if v.Pause {
		adopted := "nothing adopted"
		if n := len(v.Rows) - 1; n > 0 {
			adopted = render.Plural(n, "orphan", "orphans") + " adopted"
		}
		return "paused (-P): no command, no output pipe; " + adopted
	}
	var parts, hold []string
	sources := map[int]bool{}
	for _, r := range v.Rows {
		if r.Holder != nil && len(r.Holder.Holds) == 0 {
			sources[r.P.PID] = true
		}
	}
	for _, st := range v.Streams {
		n := len(st.Holders)
		switch {
		case n == 0:
			hold = append(hold, st.Name+" is open, but no process here holds it")
		case len(hold) == 0:
			hold = append(hold, render.Plural(n, "process holds", "processes hold")+" "+st.Name)
		default:
			hold = append(hold, render.Plural(n, "holds", "hold")+" "+st.Name)
		}
	}
	if len(sources) > 0 {
		hold = append(hold, render.Plural(len(sources), "more feeds", "more feed")+" them through a relay")
	}
	if len(v.Streams) == 0 {
		hold = append(hold, "no output pipe is open")
	}
	parts = append(parts, strings.Join(hold, ", "))
	switch {
	case v.MainRunning():
		parts = append(parts, "main child "+strconv.Itoa(v.Main.PID)+" running for "+v.age(v.Main))
	case v.Main != nil:
		parts = append(parts, "main child "+strconv.Itoa(v.Main.PID)+" has exited")
	default:
		parts = append(parts, "main child has exited")
	}
	if !v.MainRunning() && len(v.Streams) == 0 {
		if n := len(v.Rows) - 1; n > 0 {
			parts = append(parts, render.Plural(n, "process is", "processes are")+" left for tinit to end")
		} else {
			parts = append(parts, "nothing is left: tinit is exiting")
		}
	}
	return strings.Join(parts, "; ")
}
