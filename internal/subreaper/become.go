package subreaper

import (
	"os"
	"tinit/internal/tlog"

	"golang.org/x/sys/unix"
)

// becomeReaper makes orphaned descendants tinit's children. pid 1 of a pid
// namespace is their reaper already; anywhere else tinit asks to be a child
// subreaper. qemu-user answers EINVAL to the prctl: then only pid 1 reaps
// everything, which is worth a warning, not a refusal to run the test.
func becomeReaper(l tlog.Logger) (pid1 bool) {
	if os.Getpid() == 1 {
		return true
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		l.Warn("cannot become a child subreaper (", err.Error(), "): orphans will not be reaped by tinit")
	}
	return false
}

func setPdeathsig(sig unix.Signal) error {
	if sig == 0 {
		return nil
	}
	return unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(sig), 0, 0, 0)
}
