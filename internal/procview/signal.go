package procview

import (
	"errors"

	"golang.org/x/sys/unix"
)

// errGone says the scanned process no longer exists: it exited, or its pid
// now names another process.
var errGone = errors.New("process is gone")

// Signal sends sig to the process p describes and to no other. Between the
// scan and now, p may have exited and its pid been reused: a pidfd pins the
// process, and its start time, read after pinning, proves it is the one
// scanned. Without pidfds (Linux < 5.3) kill(2) after the same check is the
// best there is.
func Signal(p *Proc, sig unix.Signal) error {
	fd, err := unix.PidfdOpen(p.PID, 0)
	if err == unix.ESRCH {
		return errGone
	}
	pinned := err == nil
	if pinned {
		defer unix.Close(fd)
	}
	// p's /proc/PID now names whichever process has the pid.
	proc, _, err := p.at()
	if err != nil {
		return errGone
	}
	if st, err := proc.Stat(); err != nil || st.Starttime != p.Starttime {
		return errGone
	}
	if pinned {
		err = unix.PidfdSendSignal(fd, sig, nil, 0)
	} else {
		err = unix.Kill(p.PID, sig)
	}
	if err == unix.ESRCH {
		return errGone
	}
	return err
}
