package subreaper

import (
	"tinit/internal/tlog"

	"golang.org/x/sys/unix"
)

// takeForeground gives the terminal's foreground back to tinit's process
// group once the main child, which had it, is gone. Otherwise the terminal
// keeps sending Ctrl-C and Ctrl-\ to the dead child's group, where a leaked
// background job ignores them, and tinit would sit out its whole grace.
// tinit ignores SIGTTOU by now, so a background tinit may set the
// foreground. When tinit is pid 1 of a new pid namespace its group lies
// outside it and has no number here (getpgrp says 0): tinit then leads a
// group of its own, in the same session, and gives the terminal to that.
func takeForeground(l tlog.Logger) {
	pgrp := unix.Getpgrp()
	if pgrp == 0 {
		if err := unix.Setpgid(0, 0); err != nil {
			l.Warn("cannot take back the terminal: ", err.Error())
			return
		}
		pgrp = unix.Getpid()
	}
	if err := unix.IoctlSetPointerInt(0, unix.TIOCSPGRP, pgrp); err != nil {
		l.Warn("cannot take back the terminal: ", err.Error())
	}
}
