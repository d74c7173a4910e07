package ps

import (
	"bytes"

	"tinit/internal/procview"
	"tinit/internal/state"
)

// readState finds and reads the state memfd of the tinit at pid; nil when
// it has none (a tinit older than this ps).
func readState(pid int) *state.State {
	for _, b := range procview.Memfds(pid, state.Name) {
		if !bytes.HasPrefix(b, []byte("tinit-state ")) {
			continue
		}
		if st, err := state.Parse(b); err == nil {
			return st
		}
	}
	return nil
}
