package subreaper

import "golang.org/x/sys/unix"

// reapAll collects every child that has exited, looping until wait4 has none
// ready: SIGCHLDs coalesce, so one notification may stand for many deaths.
// It reports whether any child is left. tinit is a reaper, so having no
// child means having no descendant at all.
func reapAll(onReap func(pid int, ws unix.WaitStatus)) (children bool) {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.ECHILD:
			return false
		case err != nil || pid == 0:
			return true
		}
		onReap(pid, ws)
	}
}
