package drain

// Render draws the tree with the leak report's renderer, each line with
// the process's age and whether it is the main child or an orphan, then
// the summary.
func (v *PsView) Render() []string {
	lines := make([]string, 0, len(v.Rows)+1)
	for _, r := range v.Rows {
		lines = append(lines, describeFit(r.lead, r.p, v.age(r.p), r.Holder, r.marks()...))
	}
	return append(lines, v.Summary())
}

func (r PsRow) marks() []string {
	switch {
	case r.Main:
		return []string{"main child"}
	case r.Orphan:
		return []string{"orphan"}
	}
	return nil
}

// JSON encodes the view; the README documents the schema.
func (v *PsView) JSON() []byte {
	procs := []byte{'['}
	for i, r := range v.Rows[1:] {
		if i > 0 {
			procs = append(procs, ',')
		}
		o := v.procObj(r.p).
			int("ppid", int64(r.p.PPID)).
			int("depth", int64(r.depth)).
			bool("main_child", r.Main).
			bool("orphan", r.Orphan)
		holds, feeds, relay := []byte("[]"), []byte("[]"), false
		if h := r.Holder; h != nil {
			holds = []byte{'['}
			for j, hd := range h.Holds {
				if j > 0 {
					holds = append(holds, ',')
				}
				holds = append(holds, newObj(nil).str("stream", hd.Stream).int("fd", int64(hd.Fd)).end()...)
			}
			holds = append(holds, ']')
			feeds, relay = appendInts(nil, h.Feeds), h.Relay
		}
		procs = append(procs, o.raw("holds", holds).raw("feeds", feeds).bool("relay", relay).end()...)
	}
	procs = append(procs, ']')
	streams := []byte{'['}
	for i, st := range v.Streams {
		if i > 0 {
			streams = append(streams, ',')
		}
		streams = append(streams, newObj(nil).str("name", st.Name).int("fd", int64(st.Fd)).
			int("inode", int64(st.Inode)).raw("holders", appendInts(nil, st.Holders)).end()...)
	}
	streams = append(streams, ']')
	main := newObj(nil).bool("exited", !v.MainRunning())
	if v.Main == nil {
		main.null("pid")
	} else {
		main.int("pid", int64(v.Main.PID))
	}
	if v.MainRunning() {
		main.int("age_ms", v.ageMs(v.Main))
	} else {
		main.null("age_ms")
	}
	o := newObj(nil).
		raw("tinit", v.procObj(v.Tinit).end()).
		raw("streams", streams).
		raw("main_child", main.end()).
		raw("processes", procs).
		str("summary", v.Summary())
	return append(o.end(), '\n')
}

// procObj starts a process's object with the fields tinit's own shares.
func (v *PsView) procObj(p *Proc) *jobj {
	argv := p.Cmdline
	if argv == nil {
		argv = []string{}
	}
	return newObj(nil).
		int("pid", int64(p.PID)).
		str("state", stateName(p.State)).
		int("age_ms", v.ageMs(p)).
		str("comm", p.Comm).
		raw("cmdline", appendStrings(nil, argv))
}
