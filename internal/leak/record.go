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
// one SIGTERM, whoever sends it, and its SIGKILL KillAfter after that one.
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

// reapAllowance is how long after its SIGKILL a process may take to die
// and be reaped before tinit gives up on it: what is still there then will
// not die (state D: a frozen cgroup, a hung NFS or FUSE mount), may not be
// signalled (EPERM), or cannot be reaped (a zombie only its tracer may reap
// first). Half a second, or KillAfter if that is shorter, so that tinit
// still ends within grace + kill-after + 1 s.
func reapAllowance(killAfter time.Duration) time.Duration {
	return min(killAfter, 500*time.Millisecond)
}

// beyondReach tells that s has had its SIGKILL the reap allowance ago or
// more (or was refused it), and the process is still there.
func (s *sent) beyondReach(now time.Time, killAfter time.Duration) bool {
	return s != nil && !s.killAt.IsZero() && !now.Before(s.killAt.Add(reapAllowance(killAfter)))
}
