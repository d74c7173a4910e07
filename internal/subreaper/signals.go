package subreaper

import (
	"os"
	"os/signal"
	"reflect"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"

	"tinit/internal/procview"
)

// notForwarded are signals tinit never passes on: SIGCHLD is its own
// business, SIGKILL and SIGSTOP cannot be caught. 32 and 33 belong to the C
// library's threads. The Go runtime keeps SIGPROF for its profiler and
// never hands it to os/signal. The fault signals are forwarded: the
// runtime hands os/signal only those that kill(2) or tgkill(2) sent (and a
// SIGABRT from sigqueue(3)); a real fault of tinit's still crashes it.
var notForwarded = map[unix.Signal]bool{
	unix.SIGCHLD: true, unix.SIGKILL: true, unix.SIGSTOP: true, unix.SIGPROF: true, 32: true, 33: true,
}

// NotRewritable says why sig can be no rewrite's source, or "" when it
// can be: tinit never receives it, or never passes it on.
func NotRewritable(sig unix.Signal) string {
	switch {
	case sig == unix.SIGKILL || sig == unix.SIGSTOP:
		return "it cannot be caught"
	case sig == unix.SIGCHLD:
		return "it tells tinit of its children and is never forwarded"
	case sig == unix.SIGPROF:
		return "the Go runtime keeps it"
	case notForwarded[sig]:
		return "it belongs to the C library's threads"
	}
	return ""
}

// SignalName is sig's name, or "signal N" for one without a name (the
// real-time signals).
func SignalName(sig unix.Signal) string {
	if n := unix.SignalName(sig); n != "" {
		return n
	}
	return "signal " + itoa(int(sig))
}

// signalSet is what tinit listens to. Each forwarded signal has a pending
// flag, as in the kernel: repeats of one signal while the loop is busy
// merge into one, and no number of them can push out a different signal.
// (One channel for all of them would: os/signal drops what finds its
// channel full.)
type signalSet struct {
	chld    chan os.Signal
	wake    chan struct{} // one pending wake-up for the loop
	pending atomic.Uint64 // bit n-1 set: signal n waits to be forwarded

	// cont is SIGCONT's channel when the caller ignored SIGCONT: it is
	// watched from the start, and asked for once the child has started.
	cont chan os.Signal
}

// listen installs handlers before the child starts. As pid 1 a signal with
// no handler is dropped by the kernel, so every forwarded signal needs one.
// Signals still ignored when tinit's code starts are left ignored: a handler
// would end that for the child too, which inherits dispositions across fork,
// and only ignored ones survive its exec. A pause (-P) starts no child, so
// it takes them all: a pause started as a script's background job, with
// SIGINT ignored, still ends on SIGINT, as catatonit's does. SIGCHLD has a
// channel of one: a pending notification is as good as many, since each
// one reaps until nothing is left.
func listen(pause bool) *signalSet {
	s := &signalSet{chld: make(chan os.Signal, 1), wake: make(chan struct{}, 1)}
	signal.Notify(s.chld, unix.SIGCHLD)
	ignored := ignoredAtStart()
	var chans []chan os.Signal
	var bits []uint64
	for n := 1; n <= 64; n++ {
		sig := unix.Signal(n)
		if notForwarded[sig] {
			continue
		}
		// A channel of one per signal: its copy waiting is the signal's
		// pending flag in os/signal.
		c := make(chan os.Signal, 1)
		switch {
		case pause || !signal.Ignored(syscall.Signal(n)) && ignored&(1<<(n-1)) == 0:
			signal.Notify(c, sig)
		case sig == unix.SIGCONT:
			s.cont = c
		default:
			continue
		}
		chans, bits = append(chans, c), append(bits, uint64(1)<<(n-1))
	}
	go s.mark(chans, bits)
	return s
}

// mark moves the signals os/signal hands over to the pending mask, in one
// goroutine, so that two signals reach the loop in the order they came.
// os/signal sends each to its channel in the order the runtime took them;
// once one is taken, every signal that came before it is already in its
// channel, so taking all that wait, and marking them in one step, never
// lets a later signal be forwarded before an earlier one. (A goroutine per
// signal did: SIGUSR2's could run before SIGUSR1's.) Signals marked
// together are forwarded lowest number first, as the kernel delivers two
// that are pending at once.
func (s *signalSet) mark(chans []chan os.Signal, bits []uint64) {
	cases := make([]reflect.SelectCase, len(chans))
	for i, c := range chans {
		cases[i] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(c)}
	}
	for {
		i, _, _ := reflect.Select(cases)
		m := bits[i]
		for j, c := range chans {
			select {
			case <-c:
				m |= bits[j]
			default:
			}
		}
		s.pending.Or(m)
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// childStarted takes up a SIGCONT that the caller ignored, once the child
// has inherited that: tini forwards it too, and the child keeps it ignored.
// SIGCONT resumes a stopped process whatever its disposition, so tinit
// passing it on still matters.
func (s *signalSet) childStarted() {
	if s.cont != nil {
		signal.Notify(s.cont, unix.SIGCONT)
		s.cont = nil
	}
}

// take clears and returns the pending signals, lowest number first, as the
// kernel delivers them.
func (s *signalSet) take() []unix.Signal {
	m := s.pending.Swap(0)
	var sigs []unix.Signal
	for n := 1; m != 0; n++ {
		if m&1 != 0 {
			sigs = append(sigs, unix.Signal(n))
		}
		m >>= 1
	}
	return sigs
}

// swallowed are signals tinit takes but does not pass on: with a terminal,
// SIGTTIN and SIGTTOU would otherwise stop tinit when it is not in the
// foreground group that the child now owns.
func swallowed(sig unix.Signal, tty bool) bool {
	return tty && (sig == unix.SIGTTIN || sig == unix.SIGTTOU)
}

// ignoredAtStart is the SigIgn mask of /proc/self/status, 0 without /proc.
// The Go runtime has replaced the caller's SIG_IGN with its own handler for
// most signals before any of tinit's code runs (signal.Ignored still knows
// only SIGHUP and SIGINT); the mask adds the signals it leaves alone until
// asked, SIGTSTP, SIGTTIN and SIGTTOU, so a caller's ignored job-control
// signals stay ignored in the child.
func ignoredAtStart() uint64 {
	m, _ := procview.OwnSigIgn()
	return m
}
