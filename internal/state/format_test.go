package state

import (
	"reflect"
	"testing"
)

// Pipe inodes as a run would name them.
const psOut, psErr = 1100, 1200

func TestTinitStateRoundTrip(t *testing.T) {
	streams := map[uint64]string{psOut: "stdout", psErr: "stderr"}
	a, b := Encode(0, streams), Encode(4194304, streams)
	if len(a) != len(b) {
		t.Fatalf("the state changes length: %q, %q", a, b)
	}
	st, err := Parse(b)
	if err != nil || st.MainPID != 4194304 || !reflect.DeepEqual(st.Streams, streams) {
		t.Fatalf("parsed %+v, %v from %q", st, err, b)
	}
	if _, err := Parse([]byte("something else\n")); err == nil {
		t.Fatal("a foreign memfd parsed")
	}
}

func TestTinitStatePause(t *testing.T) {
	b := EncodePause()
	st, err := Parse(b)
	if err != nil || !st.Pause || st.MainPID != 0 || len(st.Streams) != 0 {
		t.Fatalf("parsed %+v, %v from %q", st, err, b)
	}
	if st, _ := Parse(Encode(7, nil)); st.Pause {
		t.Fatal("a run's state says pause")
	}
}
