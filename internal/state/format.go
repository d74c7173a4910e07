package state

import (
	"errors"
	"sort"
	"strconv"
	"strings"
)

// tinit tells `tinit ps` what only it knows, its main child and which pipe
// is which stream, through a memfd it keeps open: ps finds it by its name
// among tinit's fds (/proc/PID/fd/N links to "/memfd:tinit-state
// (deleted)") and reads it through that link. It needs no file system, so
// it works on a read-only root, and it goes away with tinit.

// Name is the name of tinit's state memfd.
const Name = "tinit-state"

// MergedName names the one stream that carries both stdout and stderr; the
// others are "stdout" and "stderr".
const MergedName = "stdout+stderr"

// State is what tinit's state memfd says.
type State struct {
	MainPID int               // the running main child; 0 once it is reaped
	Streams map[uint64]string // pipe inode -> "stdout", "stderr" or MergedName
	Pause   bool              // tinit -P: no command and no pipes, ever
}

// mainWidth keeps the main child's line one length, so tinit rewrites the
// state in place with one write.
const mainWidth = 10

// Encode is the memfd's content: a version line, the main child's
// pid (0 before it starts and once it is reaped), and one line per pipe.
func Encode(mainPID int, streams map[uint64]string) []byte {
	b := []byte("tinit-state 1\nmain ")
	pid := strconv.Itoa(mainPID)
	b = append(b, strings.Repeat("0", max(0, mainWidth-len(pid)))...)
	b = append(b, pid...)
	b = append(b, '\n')
	inos := make([]uint64, 0, len(streams))
	for ino := range streams {
		inos = append(inos, ino)
	}
	sort.Slice(inos, func(i, j int) bool { return inos[i] < inos[j] })
	for _, ino := range inos {
		b = append(b, streams[ino]...)
		b = append(b, ' ')
		b = strconv.AppendUint(b, ino, 10)
		b = append(b, '\n')
	}
	return b
}

// EncodePause is the state of a tinit that pauses (-P): no main child, no
// pipe, and a line that says why. A ps older than that line skips it.
func EncodePause() []byte {
	return append(Encode(0, nil), "pause 1\n"...)
}

// Parse reads a memfd's content; an error for anything but a tinit state.
// Lines it does not know are skipped, so an older ps reads a newer state.
func Parse(b []byte) (*State, error) {
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) < 2 || lines[0] != "tinit-state 1" {
		return nil, errors.New("not a tinit state")
	}
	st := &State{Streams: map[uint64]string{}}
	for _, l := range lines[1:] {
		k, v, _ := strings.Cut(l, " ")
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, errors.New("bad line " + strconv.Quote(l))
		}
		switch k {
		case "main":
			st.MainPID = int(n)
		case "pause":
			st.Pause = n == 1
		case "stdout", "stderr", MergedName:
			st.Streams[n] = k
		}
	}
	return st, nil
}
