package integration

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ptyTinit is tinit started in a new session whose controlling terminal is
// a fresh pseudo-terminal, its output read by the test.
type ptyTinit struct {
	master   *os.File
	cmd      *exec.Cmd
	out, err lockedBuffer
	done     chan error
	finished bool
	pid      int // tinit's pid as the test sees it
}

func startPtyTinit(t *testing.T, m coreMode, args ...string) *ptyTinit {
	t.Helper()
	master, slave := openPty(t)
	argv := m.argv(t, args...)
	p := &ptyTinit{master: master, cmd: exec.Command(argv[0], argv[1:]...), done: make(chan error, 1)}
	p.cmd.Stdin, p.cmd.Stdout, p.cmd.Stderr = slave, &p.out, &p.err
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if !p.finished {
			killTree(p.cmd.Process.Pid)
			<-p.done
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
	p.pid = p.cmd.Process.Pid
	if m.ns {
		p.pid = childOf(t, p.pid)
	}
	return p
}

func (p *ptyTinit) press(t *testing.T, key string) {
	t.Helper()
	if _, err := p.master.WriteString(key); err != nil {
		t.Fatal(err)
	}
}

func (p *ptyTinit) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	var err error
	select {
	case err = <-p.done:
	case <-time.After(timeout):
		t.Fatalf("tinit did not exit within %v; stderr:\n%s", timeout, p.err.String())
	}
	p.finished = true
	if ee, ok := err.(*exec.ExitError); ok {
		return exitCodeOf(ee.Sys().(syscall.WaitStatus))
	}
	return 0
}

// TestCoreRewriteUnderPty: at a terminal, Ctrl-C goes from the terminal to
// the foreground job, the main child, and never passes through tinit, so
// no rewrite applies to it: under -r INT:0 the child still dies of it
// (130). Once the main child has exited, tinit holds the foreground and a
// rewrite applies: Ctrl-C, dropped, leaves the grace running; Ctrl-\,
// rewritten to SIGINT, cuts it short.
func TestCoreRewriteUnderPty(t *testing.T) {
	forCoreModes(t, func(t *testing.T, m coreMode) {
		t.Run("child-running", func(t *testing.T) {
			p := startPtyTinit(t, m, "-r", "INT:0", "--", "sh", "-c", "echo ready >&2; exec sleep 1000")
			waitFor(t, 10*time.Second, "the child to start", func() bool { return strings.Contains(p.err.String(), "ready") })
			waitFor(t, 10*time.Second, "sleep to own the terminal", func() bool {
				for _, c := range childrenOf(p.pid) {
					if comm, _ := os.ReadFile("/proc/" + strconv.Itoa(c) + "/comm"); string(comm) == "sleep\n" {
						_, pgrp, tpgid, ok := ttyStat(c)
						return ok && pgrp == tpgid
					}
				}
				return false
			})
			p.press(t, "\x03")
			if code := p.wait(t, 10*time.Second); code != 130 {
				t.Fatalf("code %d, want 130: Ctrl-C goes to the child, not through tinit; stderr:\n%s", code, p.err.String())
			}
		})
		t.Run("grace", func(t *testing.T) {
			p := startPtyTinit(t, m, "-vv", "-r", "INT:0", "-r", "QUIT:INT", "--grace", "20s", "--",
				"sh", "-c", "sleep 1000 & echo x")
			waitFor(t, 10*time.Second, "tinit to take the terminal's foreground back", func() bool {
				_, pgrp, tpgid, ok := ttyStat(p.pid)
				return ok && pgrp == tpgid && strings.Contains(p.err.String(), "exited with status 0")
			})
			p.press(t, "\x03")
			waitFor(t, 10*time.Second, "tinit to drop Ctrl-C", func() bool {
				return strings.Contains(p.err.String(), "tinit: dropping SIGINT (--rewrite)\n")
			})
			if strings.Contains(p.err.String(), "ending what is left now") {
				t.Fatalf("a dropped Ctrl-C cut the grace short; stderr:\n%s", p.err.String())
			}
			pressed := time.Now()
			p.press(t, "\x1c")
			code := p.wait(t, 15*time.Second)
			stderr := p.err.String()
			if code != 0 || p.out.String() != "x\n" || time.Since(pressed) > 8*time.Second ||
				!strings.Contains(stderr, "tinit: rewriting SIGQUIT to SIGINT\ntinit: SIGINT after the main child exited: ending what is left now\n") {
				t.Fatalf("code %d stdout %q after %v, want 0, x, well within the 20 s grace; stderr:\n%s", code, p.out.String(), time.Since(pressed), stderr)
			}
		})
	})
}
