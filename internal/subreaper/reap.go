package subreaper

import (
	"tinit/internal/procview"

	"golang.org/x/sys/unix"
)

// reapAll collects every child that has exited, looping until wait4 has none
// ready: SIGCHLDs coalesce, so one notification may stand for many deaths.
// It reports whether any child is left. tinit is a reaper, so having no
// child means having no descendant at all. With named, each child's name
// is read from /proc while it is still a zombie: waitid(WNOWAIT) tells its
// pid without reaping it, then wait4 reaps that pid alone.
func reapAll(named bool, onReap func(pid int, ws unix.WaitStatus, name string)) (children bool) {
	for {
		target, name := -1, ""
		if named {
			// A child that exits after waitid looked must wait for the
			// next round: wait4(-1) now would reap it without its name.
			pid, err := exitedChild()
			switch {
			case err == unix.ECHILD:
				return false
			case err == nil && pid == 0:
				return true
			case err == nil:
				target, name = pid, procview.ProcName(pid)
			}
		}
		var ws unix.WaitStatus
		pid, err := unix.Wait4(target, &ws, unix.WNOHANG, nil)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.ECHILD:
			return false
		case err != nil || pid == 0:
			return true
		}
		onReap(pid, ws, name)
	}
}
