package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"tinit/internal/procview"
)

// openPty returns a new pseudo-terminal's master and its slave, unlocked.
// The master stays in Go's poller so that closing it ends a pending read.
func openPty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		skipOrFail(t, "no /dev/ptmx: "+err.Error())
	}
	t.Cleanup(func() { master.Close() })
	rc, err := master.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n uint32
	var ioErr error
	if err := rc.Control(func(fd uintptr) {
		if ioErr = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); ioErr == nil {
			n, ioErr = unix.IoctlGetUint32(int(fd), unix.TIOCGPTN)
		}
	}); err != nil || ioErr != nil {
		t.Fatalf("unlocking the pty: %v %v", err, ioErr)
	}
	slave, err = os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return master, slave
}

// ttyStat is a process's process group and its terminal's foreground group.
func ttyStat(pid int) (state string, pgrp, tpgid int, ok bool) {
	st, err := procview.Stat(pid)
	if err != nil {
		return "", 0, 0, false
	}
	return st.State, st.PGRP, st.TPGID, true
}

// TestCoreJobControlUnderPty runs an interactive bash under tinit on a
// pseudo-terminal that is the session's controlling terminal. bash must get
// job control: a foreground job in its own process group that owns the
// terminal, Ctrl-Z stopping it (148), fg resuming it, Ctrl-C ending it with
// 130. bash itself must never get a SIGHUP or SIGCONT.
func TestCoreJobControlUnderPty(t *testing.T) {
	requireTool(t, "bash", "bash")
	forCoreModes(t, func(t *testing.T, m coreMode) {
		master, slave := openPty(t)
		log := filepath.Join(t.TempDir(), "stray")
		argv := m.argv(t, "--", "bash", "--norc", "--noprofile", "-i")
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
		cmd.Env = append(os.Environ(), "PS1=$ ", "TERM=dumb", "HISTFILE=/dev/null")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		slave.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		finished := false
		t.Cleanup(func() {
			if !finished {
				killTree(cmd.Process.Pid)
				<-done
			}
		})
		var out lockedBuffer
		go func() {
			buf := make([]byte, 4096)
			for {
				n, err := master.Read(buf)
				out.Write(buf[:n])
				if err != nil {
					return
				}
			}
		}()
		typeLine := func(s string) {
			if _, err := master.WriteString(s); err != nil {
				t.Fatalf("typing %q: %v", s, err)
			}
		}
		expect := func(s string) {
			t.Helper()
			waitFor(t, 20*time.Second, strconv.Quote(s)+" on the terminal", func() bool { return strings.Contains(out.String(), s) })
		}
		// sleepJob finds the shell's sleep and waits until it is in the state
		// wanted, in its own process group, owning the terminal or not.
		sleepJob := func(state string, foreground bool) int {
			t.Helper()
			pid := 0
			waitFor(t, 20*time.Second, "sleep 100 in state "+state, func() bool {
				for _, st := range allStats() {
					comm, _ := os.ReadFile("/proc/" + strconv.Itoa(st.pid) + "/comm")
					if string(comm) != "sleep\n" || !isDescendant(st.pid, cmd.Process.Pid) {
						continue
					}
					s, pgrp, tpgid, ok := ttyStat(st.pid)
					if ok && s == state && pgrp == st.pid && (tpgid == pgrp) == foreground {
						pid = st.pid
						return true
					}
				}
				return false
			})
			return pid
		}

		typeLine("trap 'echo HUP >> " + log + "' HUP; trap 'echo CONT >> " + log + "' CONT; echo \"ready:${-//[^m]/}:\"\r")
		expect("ready:m:")
		typeLine("sleep 100\r")
		sleepJob("S", true)
		typeLine("\x1a")
		sleepJob("T", false)
		typeLine("echo \"z=$?\"\r")
		expect("z=148")
		typeLine("fg\r")
		sleepJob("S", true)
		typeLine("\x03")
		typeLine("echo \"c=$?\"\r")
		expect("c=130")
		typeLine("exit 7\r")
		var err error
		select {
		case err = <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("tinit did not exit; terminal:\n%s", out.String())
		}
		finished = true
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = exitCodeOf(ee.Sys().(syscall.WaitStatus))
		}
		if code != 7 {
			t.Fatalf("exit code %d, want 7; terminal:\n%s", code, out.String())
		}
		if fileExists(log) {
			t.Fatalf("bash got stray signals: %q; terminal:\n%s", readString(log), out.String())
		}
		if strings.Contains(out.String(), "no job control") || strings.Contains(out.String(), "tinit:") {
			t.Fatalf("unexpected lines on the terminal:\n%s", out.String())
		}
	})
}

// isDescendant tells whether pid descends from root.
func isDescendant(pid, root int) bool {
	for i := 0; i < 64 && pid > 1; i++ {
		st, err := readStat(pid)
		if err != nil {
			return false
		}
		if st.ppid == root {
			return true
		}
		pid = st.ppid
	}
	return false
}

// TestCoreCtrlCDuringGraceUnderPty: `tinit --grace 20s -- sh -c 'sleep
// 1000 & echo x' | cat` at a terminal. The child gave its foreground group
// to the test; once the main child has exited, tinit takes the terminal's
// foreground back, so Ctrl-C (and Ctrl-\) reach tinit and skip the grace.
// The leaked sleep ignores both, as a shell's background job does.
func TestCoreCtrlCDuringGraceUnderPty(t *testing.T) {
	for _, key := range []struct{ name, b string }{{"CtrlC", "\x03"}, {"CtrlBackslash", "\x1c"}} {
		t.Run(key.name, func(t *testing.T) {
			forCoreModes(t, func(t *testing.T, m coreMode) {
				master, slave := openPty(t)
				argv := m.argv(t, "-v", "--grace", "20s", "--", "sh", "-c", "sleep 1000 & echo x")
				cmd := exec.Command(argv[0], argv[1:]...)
				var out, errb lockedBuffer
				cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, &out, &errb
				cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				slave.Close()
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				finished := false
				t.Cleanup(func() {
					if !finished {
						killTree(cmd.Process.Pid)
						<-done
					}
				})
				go func() { // keep the terminal's output moving
					buf := make([]byte, 4096)
					for {
						if _, err := master.Read(buf); err != nil {
							return
						}
					}
				}()
				tinit := cmd.Process.Pid
				if m.ns {
					tinit = childOf(t, tinit)
				}
				waitFor(t, 10*time.Second, "the main child to exit", func() bool {
					return strings.Contains(errb.String(), "exited with status 0")
				})
				waitFor(t, 10*time.Second, "tinit to take the terminal's foreground back", func() bool {
					_, pgrp, tpgid, ok := ttyStat(tinit)
					return ok && pgrp == tpgid
				})
				pressed := time.Now()
				if _, err := master.WriteString(key.b); err != nil {
					t.Fatal(err)
				}
				var err error
				select {
				case err = <-done:
				case <-time.After(15 * time.Second):
					t.Fatalf("tinit did not exit after %s; stderr:\n%s", key.name, errb.String())
				}
				finished = true
				code := 0
				if ee, ok := err.(*exec.ExitError); ok {
					code = exitCodeOf(ee.Sys().(syscall.WaitStatus))
				}
				t.Logf("exit %d after %v; stderr:\n%s", code, time.Since(pressed), errb.String())
				if took := time.Since(pressed); code != 0 || out.String() != "x\n" || took > 8*time.Second {
					t.Fatalf("code %d stdout %q after %v, want 0, \"x\", well within the 20 s grace; stderr:\n%s", code, out.String(), took, errb.String())
				}
			})
		})
	}
}
