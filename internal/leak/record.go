package leak

import (
	"time"

	"tinit/internal/procview"
)

// sent is what tinit has sent one process while ending leaks, and how the
// kernel took it.
type sent struct {
	termAt time.Time // its first SIGTERM; zero before
	killAt time.Time // its first SIGKILL; zero before
	denied bool      // the kernel refused a signal to it (EPERM)
}

// record is the one account of what each process has been sent, shared by
// the Ender and the rest: a process moves between roles (a bystander whose
// handler takes back fds it parked becomes a holder; a holder that closes
// its copy becomes one of the rest), and a second SIGTERM would make many
// programs skip the cleanup the first one started. So each process gets
// one SIGTERM, whoever sends it, and its SIGKILL Clocks.TermToKill after that one.
type record map[procview.Key]*sent

// of is what k has been sent; a process never met has an empty entry.
func (r record) of(k procview.Key) *sent {
	s := r[k]
	if s == nil {
		s = &sent{}
		r[k] = s
	}
	return s
}

// beyondReach tells that s has had its SIGKILL allowance ago or more (or
// was refused it), and the process is still there (see
// Clocks.ReapAllowance).
func (s *sent) beyondReach(now time.Time, allowance time.Duration) bool {
	return s != nil && !s.killAt.IsZero() && !now.Before(s.killAt.Add(allowance))
}
