package ps

import (
	"reflect"
	"testing"
	"tinit/internal/procview"
)

func TestTinitStateRoundTrip(t *testing.T) {
	streams := map[uint64]string{psOut: "stdout", psErr: "stderr"}
	a, b := EncodeState(0, streams), EncodeState(4194304, streams)
	if len(a) != len(b) {
		t.Fatalf("the state changes length: %q, %q", a, b)
	}
	st, err := parseState(b)
	if err != nil || st.MainPID != 4194304 || !reflect.DeepEqual(st.Streams, streams) {
		t.Fatalf("parsed %+v, %v from %q", st, err, b)
	}
	if _, err := parseState([]byte("something else\n")); err == nil {
		t.Fatal("a foreign memfd parsed")
	}
}

// With tinit's state, ps takes its word: the main child is the pid it
// names, and each pipe has the name it gives, whatever fds hold it.
func TestPsUsesTinitState(t *testing.T) {
	in := psExited()
	in.State = &TinitState{MainPID: 0, Streams: map[uint64]string{psOut: "stdout", psErr: "stderr"}}
	// 11 leads its own group in tinit's session now: a guess would take it.
	in.Snap.Procs[11].Sid = 1
	if v := NewView(in); v.Main != nil {
		t.Fatalf("main child %d, want none: tinit says it exited", v.Main.PID)
	}
	in = psInput()
	in.State = &TinitState{MainPID: 7, Streams: map[uint64]string{psErr: "stderr"}}
	in.Pipes = []procview.PipeEnd{{Fd: 3, Inode: psErr}}
	for _, p := range in.Snap.Procs {
		if p.PID != 1 {
			p.Writes = nil
		}
	}
	in.Snap.Procs[8].Writes = fdm{psErr: {1}}
	v := NewView(in)
	if v.Main == nil || v.Main.PID != 7 || len(v.Streams) != 1 || v.Streams[0].Name != "stderr" {
		t.Fatalf("main %+v streams %+v", v.Main, v.Streams)
	}
}
