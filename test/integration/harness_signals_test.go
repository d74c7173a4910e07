package integration

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// signalsReset marks the test binary that has started over with default
// signal dispositions and an empty mask.
const signalsReset = "TINIT_IT_SIGNALS_RESET"

// startWithDefaultSignals makes the tests independent of the signal state
// they inherit. Under nohup SIGHUP is ignored, a CI runner may ignore
// SIGINT or SIGQUIT or block signals, and tinit keeps an ignored SIGHUP or
// SIGINT and passes its starting mask to the child, as documented: a test
// that sends tinit SIGHUP would then test its caller, not tinit. So the test
// binary execs itself once, before any test, with every signal it found
// ignored given a handler (which execve resets to the default) and nothing
// blocked; a test that wants another state sets it for its own process
// (TestCoreSignalDispositionsInherited). exec.Cmd cannot do this for each
// child: it has no way to reset an ignored signal or unblock one.
func startWithDefaultSignals() {
	if os.Getenv(signalsReset) != "" {
		os.Unsetenv(signalsReset) // the children see the caller's environment
		return
	}
	runtime.LockOSThread()
	ignored := make(chan os.Signal, 1)
	for _, sig := range signalsIgnoredNow() {
		signal.Notify(ignored, sig)
	}
	var none unix.Sigset_t
	if err := unix.PthreadSigmask(unix.SIG_SETMASK, &none, nil); err != nil {
		fmt.Fprintln(os.Stderr, "unblocking signals:", err)
		os.Exit(1)
	}
	self, err := os.Executable()
	if err == nil {
		err = syscall.Exec(self, os.Args, append(os.Environ(), signalsReset+"=1"))
	}
	fmt.Fprintln(os.Stderr, "starting the tests over with default signal dispositions:", err)
	os.Exit(1)
}

// signalsIgnoredNow are the signals whose disposition is SIG_IGN, from
// the process's SigIgn mask in /proc/self/status.
func signalsIgnoredNow() []os.Signal {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil
	}
	for _, line := range strings.Split(string(b), "\n") {
		hex, ok := strings.CutPrefix(line, "SigIgn:\t")
		if !ok {
			continue
		}
		mask, err := strconv.ParseUint(hex, 16, 64)
		if err != nil {
			return nil
		}
		var sigs []os.Signal
		for n := 1; n <= 64; n++ {
			if mask&(1<<(n-1)) != 0 && n != int(syscall.SIGKILL) && n != int(syscall.SIGSTOP) {
				sigs = append(sigs, syscall.Signal(n))
			}
		}
		return sigs
	}
	return nil
}

// TestHarnessDefaultSignals: whatever signal state `go test` was started
// with (nohup, an ignoring or blocking CI runner), tinit and its child start
// with no signal ignored and none blocked, as pid 1 and as a subreaper, so
// the signal tests test tinit. Run the suite under `nohup` or `env
// --ignore-signal=HUP,INT,QUIT --block-signal=USR1,HUP` to see it matter.
func TestHarnessDefaultSignals(t *testing.T) {
	forCoreModes(t, func(t *testing.T, m coreMode) {
		r := run(t, 20*time.Second, m.argv(t, "grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status")...)
		want := "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n"
		if r.Code != 0 || r.Stdout != want {
			t.Errorf("the child under tinit has %q (code %d, stderr %q), want %q", r.Stdout, r.Code, r.Stderr, want)
		}
	})
}
