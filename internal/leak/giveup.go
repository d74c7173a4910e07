package leak

import (
	"strconv"
	"time"

	"tinit/internal/procview"
	"tinit/internal/render"
)

// stuckOf is ps when every one of them is stuck, and nil when any other is
// left (or none): tinit waits for what may still end, and gives up on what
// will not die or cannot be reaped, so every wait has a bound. A process is
// stuck once it has had its SIGKILL the reap allowance ago or more and is
// still there; a fork of a stuck process is stuck as soon as it has had its
// SIGKILL, or a parent that tinit may not signal, forking every 10 ms,
// would always have a child younger than the allowance.
func (e *Ending) stuckOf(now time.Time, ps []*procview.Proc) []*procview.Proc {
	if len(ps) == 0 {
		return nil
	}
	stuck := make(map[int]bool, len(ps))
	for changed := true; changed; {
		changed = false
		for _, p := range ps {
			s := e.sent[p.Key()]
			if stuck[p.PID] || s == nil || s.killAt.IsZero() {
				continue
			}
			if s.beyondReach(now, e.clocks.ReapAllowance()) || stuck[p.PPID] {
				stuck[p.PID], changed = true, true
			}
		}
	}
	if len(stuck) < len(ps) {
		return nil
	}
	return ps
}

// giveUpOnHolders tells, once, to stop waiting for the output when every
// holder left is stuck, and names each and why. A process whose fds tinit
// may not read counts as a holder here: it may be one. The pipes are still
// read until tinit exits.
func (e *Ending) giveUpOnHolders(now time.Time, hs []*Holder) bool {
	ps := make([]*procview.Proc, len(hs))
	unsure := false
	for i, h := range hs {
		ps[i] = h.Proc
		unsure = unsure || h.Unreadable
	}
	stuck := e.stuckOf(now, ps)
	if e.gaveUp || stuck == nil {
		return false
	}
	e.gaveUp = true
	may := ""
	if unsure {
		may = " or may hold"
	}
	e.Log.Error(render.Plural(len(stuck), "process holds", "processes hold"), may, " the output but will not die or cannot be reaped; not waiting for ",
		render.Either(len(stuck), "it", "them"), " any longer:")
	e.sayStuck(stuck)
	return true
}

func (e *Ending) sayStuck(ps []*procview.Proc) {
	for _, p := range ps {
		e.Log.Error(render.Line("  ", p, "", []string{e.why(p)}))
	}
}

// why says what keeps p from ending after its SIGKILL.
func (e *Ending) why(p *procview.Proc) string {
	if s := e.sent[p.Key()]; s != nil && s.denied {
		return "not permitted to signal it"
	}
	tracer := e.System.Tracer(p)
	switch {
	case tracer > 0 && p.State == "Z":
		return "a zombie traced by PID " + strconv.Itoa(tracer) + ", which must reap it first"
	case tracer > 0:
		return "traced by PID " + strconv.Itoa(tracer)
	case p.State == "D":
		return "state D (uninterruptible sleep): its SIGKILL waits until it wakes"
	case p.State == "Z":
		return "a zombie not yet reapable: traced from outside this pid namespace, or its parent has not reaped it"
	}
	return "still there after its SIGKILL"
}
