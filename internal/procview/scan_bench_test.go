package procview

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkRoundByFds measures the scan of one round of ending leaks over 10 child processes that each hold one of our pipes and
// fds-1 other fds on /dev/null. A cold round is the first look at them,
// which costs a readlink per fd: the kernel lists no pipes alone. A warm
// round comes after one that saw them, as every round after the first
// does; it must not grow with the fds that are not pipes.
func BenchmarkRoundByFds(b *testing.B) {
	for _, c := range []struct {
		fds  int
		cold bool
	}{{10, true}, {1000, true}, {15000, true}, {10, false}, {1000, false}, {15000, false}} {
		fds, cold := c.fds, c.cold
		name := fmt.Sprint(fds, "/warm")
		if cold {
			name = fmt.Sprint(fds, "/cold")
		}
		b.Run(name, func(b *testing.B) {
			ino := startFdHolders(b, 10, fds)
			ownFds = fdCache{}
			if !cold {
				_, _ = ScanOwn()
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if cold {
					ownFds = fdCache{}
				}
				snap, err := ScanOwn()
				if err != nil {
					b.Skip(err)
				}
				n := 0
				for _, p := range snap.Procs {
					if p.Writes[ino] != nil {
						n++
					}
				}
				if n != 10 {
					b.Fatalf("%d holders, want 10", n)
				}
			}
		})
	}
}

// startFdHolders starts n sleeps with the write end of a pipe as stdout and
// about fds fds in all, and returns the pipe's inode.
func startFdHolders(b *testing.B, n, fds int) uint64 {
	b.Helper()
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil || lim.Max < uint64(fds+100) {
		b.Skipf("RLIMIT_NOFILE allows too few fds for %d", fds)
	}
	old := lim
	lim.Cur = lim.Max
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		b.Skip(err)
	}
	b.Cleanup(func() { _ = unix.Setrlimit(unix.RLIMIT_NOFILE, &old) })
	r, w, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { r.Close() })
	// bash opens the fds; "ready" on stderr says they are all open.
	script := fmt.Sprintf(`for ((i = 3; i < %d; i++)); do eval "exec $i</dev/null"; done; echo ready >&2; exec sleep 1000 2>&-`, fds)
	for i := 0; i < n; i++ {
		cmd := exec.Command("bash", "-c", script)
		cmd.Stdout = w
		ready, err := cmd.StderrPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		if _, err := ready.Read(make([]byte, 6)); err != nil {
			b.Fatal(err)
		}
	}
	w.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(r.Fd()), &st); err != nil {
		b.Fatal(err)
	}
	return st.Ino
}
