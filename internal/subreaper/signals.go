package subreaper

import (
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// notForwarded are signals tinit never passes on: SIGCHLD is its own
// business, the fault signals describe tinit's own crash, SIGKILL and SIGSTOP
// cannot be caught. 32 and 33 belong to the C library's threads. The Go
// runtime keeps SIGPROF for its profiler and never hands it to os/signal.
var notForwarded = map[unix.Signal]bool{
	unix.SIGCHLD: true, unix.SIGSEGV: true, unix.SIGBUS: true, unix.SIGFPE: true,
	unix.SIGILL: true, unix.SIGTRAP: true, unix.SIGABRT: true, unix.SIGSYS: true,
	unix.SIGKILL: true, unix.SIGSTOP: true, unix.SIGPROF: true, 32: true, 33: true,
}

// signalSet is what tinit listens to.
type signalSet struct {
	forward chan os.Signal
	chld    chan os.Signal
}

// listen installs handlers before the child starts. As pid 1 a signal with
// no handler is dropped by the kernel, so every forwarded signal needs one.
// Signals ignored when tinit started are left ignored: a handler would end
// that for the child too, which inherits dispositions across fork, and only
// ignored ones survive its exec. SIGCHLD has a channel of one: a pending
// notification is as good as many, since each one reaps until nothing is left.
func listen(swallowTTY bool) *signalSet {
	s := &signalSet{forward: make(chan os.Signal, 256), chld: make(chan os.Signal, 1)}
	signal.Notify(s.chld, unix.SIGCHLD)
	for n := 1; n <= 64; n++ {
		sig := unix.Signal(n)
		if notForwarded[sig] || signal.Ignored(syscall.Signal(n)) {
			continue
		}
		signal.Notify(s.forward, sig)
	}
	return s
}

// swallowed are signals tinit takes but does not pass on: with a terminal,
// SIGTTIN and SIGTTOU would otherwise stop tinit when it is not in the
// foreground group that the child now owns.
func swallowed(sig unix.Signal, tty bool) bool {
	return tty && (sig == unix.SIGTTIN || sig == unix.SIGTTOU)
}
