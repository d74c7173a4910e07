package ps

import (
	"testing"
	"tinit/internal/procview"
	"tinit/internal/state"
)

// With tinit's state, ps takes its word: the main child is the pid it
// names, and each pipe has the name it gives, whatever fds hold it.
func TestPsUsesTinitState(t *testing.T) {
	in := psExited()
	in.State = &state.State{MainPID: 0, Streams: map[uint64]string{psOut: "stdout", psErr: "stderr"}}
	// 11 leads its own group in tinit's session now: a guess would take it.
	in.Snap.Procs[11].Sid = 1
	if v := NewView(in); v.Main != nil {
		t.Fatalf("main child %d, want none: tinit says it exited", v.Main.PID)
	}
	in = psInput()
	in.State = &state.State{MainPID: 7, Streams: map[uint64]string{psErr: "stderr"}}
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
