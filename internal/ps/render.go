package ps

import (
	"tinit/internal/leak"
	"tinit/internal/procview"
	"tinit/internal/render"
)

// Render draws the tree with the leak report's renderer, each line with
// the process's age and whether it is the main child or an orphan, then
// the summary.
func (v *View) Render() []string {
	lines := make([]string, 0, len(v.Rows)+1)
	for _, r := range v.Rows {
		lines = append(lines, render.Line(r.Lead, r.P, v.age(r.P), append(r.marks(), leak.Notes(r.Holder)...)))
	}
	return append(lines, v.Summary())
}

func (r Row) marks() []string {
	switch {
	case r.Main:
		return []string{"main child"}
	case r.Orphan:
		return []string{"orphan"}
	}
	return nil
}

// psJSON is the wire form of `tinit ps --json`, field by field in the
// README's order. A pointer is a field that can be null; a slice is never
// nil, so an empty list is [] and not null.
type psJSON struct {
	Tinit     psProcJSON      `json:"tinit"`
	Streams   []psStreamJSON  `json:"streams"`
	Pause     bool            `json:"pause"`
	MainChild *psMainJSON     `json:"main_child"`
	Processes []psProcRowJSON `json:"processes"`
	Summary   string          `json:"summary"`
}

// psProcJSON is the fields tinit's own object shares with every process.
type psProcJSON struct {
	PID     int      `json:"pid"`
	State   string   `json:"state"`
	AgeMs   int64    `json:"age_ms"`
	Comm    string   `json:"comm"`
	Cmdline []string `json:"cmdline"`
}

// psProcRowJSON is one process below tinit; encoding/json writes the
// embedded struct's fields first, in place.
type psProcRowJSON struct {
	psProcJSON
	PPID      int         `json:"ppid"`
	Depth     int         `json:"depth"`
	MainChild bool        `json:"main_child"`
	Orphan    bool        `json:"orphan"`
	Holds     []leak.Hold `json:"holds"`
	Feeds     []int       `json:"feeds"`
	Relay     bool        `json:"relay"`
}

type psStreamJSON struct {
	Name    string `json:"name"`
	Fd      int    `json:"fd"`
	Inode   uint64 `json:"inode"`
	Holders []int  `json:"holders"`
}

type psMainJSON struct {
	Exited bool   `json:"exited"`
	PID    *int   `json:"pid"`
	AgeMs  *int64 `json:"age_ms"`
}

// JSON encodes the view on one line; the README documents the schema.
func (v *View) JSON() []byte {
	j := psJSON{
		Tinit:     v.procJSON(v.Tinit),
		Streams:   make([]psStreamJSON, 0, len(v.Streams)),
		Pause:     v.Pause,
		Processes: make([]psProcRowJSON, 0, len(v.Rows)),
		Summary:   v.Summary(),
	}
	for _, st := range v.Streams {
		j.Streams = append(j.Streams, psStreamJSON{Name: st.Name, Fd: st.Fd, Inode: st.Inode, Holders: render.OrEmpty(st.Holders)})
	}
	if !v.Pause {
		j.MainChild = &psMainJSON{Exited: !v.MainRunning()}
	}
	if v.Main != nil {
		j.MainChild.PID = &v.Main.PID
	}
	if v.MainRunning() {
		age := v.ageMs(v.Main)
		j.MainChild.AgeMs = &age
	}
	for _, r := range v.Rows[1:] {
		row := psProcRowJSON{
			psProcJSON: v.procJSON(r.P),
			PPID:       r.P.PPID,
			Depth:      r.Depth,
			MainChild:  r.Main,
			Orphan:     r.Orphan,
			Holds:      []leak.Hold{},
			Feeds:      []int{},
		}
		if h := r.Holder; h != nil {
			row.Holds, row.Feeds, row.Relay = render.OrEmpty(h.Holds), render.OrEmpty(h.Feeds), h.Relay
		}
		j.Processes = append(j.Processes, row)
	}
	return render.MarshalLine(&j)
}

func (v *View) procJSON(p *procview.Proc) psProcJSON {
	return psProcJSON{
		PID:     p.PID,
		State:   render.StateName(p.State),
		AgeMs:   v.ageMs(p),
		Comm:    p.Comm,
		Cmdline: render.OrEmpty(p.Cmdline),
	}
}
