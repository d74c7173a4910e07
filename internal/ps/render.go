package ps

import (
	"tinit/internal/leak"
	"tinit/internal/procview"
	"tinit/internal/render"
	"tinit/internal/report"
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

// JSON encodes the view on one line, in the report package's wire form;
// docs/ps.md documents the schema.
func (v *View) JSON() []byte {
	j := report.Ps{
		Tinit:     v.procJSON(v.Tinit),
		Streams:   make([]report.PsStream, 0, len(v.Streams)),
		Pause:     v.Pause,
		Processes: make([]report.PsRow, 0, len(v.Rows)),
		Summary:   v.Summary(),
	}
	for _, st := range v.Streams {
		j.Streams = append(j.Streams, report.PsStream{Name: st.Name, Fd: st.Fd, Inode: st.Inode, Holders: render.OrEmpty(st.Holders)})
	}
	if !v.Pause {
		j.MainChild = &report.PsMain{Exited: !v.MainRunning()}
	}
	if v.Main != nil {
		j.MainChild.PID = &v.Main.PID
	}
	if v.MainRunning() {
		age := v.ageMs(v.Main)
		j.MainChild.AgeMs = &age
	}
	for _, r := range v.Rows[1:] {
		j.Processes = append(j.Processes, report.PsRow{
			PsProc:    v.procJSON(r.P),
			PPID:      r.P.PPID,
			Depth:     r.Depth,
			MainChild: r.Main,
			Orphan:    r.Orphan,
			Holding:   report.HoldingOf(r.Holder),
		})
	}
	return render.MarshalLine(&j)
}

func (v *View) procJSON(p *procview.Proc) report.PsProc {
	return report.PsProc{
		PID:     p.PID,
		State:   render.StateName(p.State),
		AgeMs:   v.ageMs(p),
		Comm:    p.Comm,
		Cmdline: render.OrEmpty(p.Cmdline),
	}
}
