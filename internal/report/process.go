package report

import (
	"tinit/internal/leak"
	"tinit/internal/render"
)

// Holding is what a process does with tinit's pipes, as both --report (for
// a leaked process) and `tinit ps --json` (for every process) write it:
// one struct, so that the two cannot drift. render.MarshalLine writes an
// embedded struct's fields in its place, as encoding/json does.
type Holding struct {
	Holds []leak.Hold `json:"holds"`
	Feeds []int       `json:"feeds"`
	Relay bool        `json:"relay"`
}

// HoldingOf is h's holding; nil for a process that holds nothing. Its
// lists are never nil, so an empty one is [] and not null.
func HoldingOf(h *leak.Holder) Holding {
	if h == nil {
		return Holding{Holds: []leak.Hold{}, Feeds: []int{}}
	}
	return Holding{Holds: render.OrEmpty(h.Holds), Feeds: render.OrEmpty(h.Feeds), Relay: h.Relay}
}
