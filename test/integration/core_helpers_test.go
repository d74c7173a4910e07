package integration

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"tinit/internal/procview"
)

// coreMode is how a core test starts tinit: as pid 1 of a new pid namespace,
// or as a plain process that makes itself a child subreaper.
type coreMode struct {
	name string
	ns   bool
}

var coreModes = []coreMode{{"pid1", true}, {"subreaper", false}}

// forCoreModes runs f once per mode as a subtest.
func forCoreModes(t *testing.T, f func(t *testing.T, m coreMode)) {
	for _, m := range coreModes {
		t.Run(m.name, func(t *testing.T) { f(t, m) })
	}
}

// argv is the command line that runs tinit with args in mode m.
func (m coreMode) argv(t testing.TB, args ...string) []string {
	t.Helper()
	var a []string
	if m.ns {
		a = append(a, nsPrefix(t)...)
	}
	a = append(a, tinitBin)
	return append(a, args...)
}

// lockedBuffer collects a running process's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// coreProc is a tinit the test talks to while it runs.
type coreProc struct {
	mode     coreMode
	cmd      *exec.Cmd
	out, err lockedBuffer
	done     chan error
	finished bool
}

// startCore starts tinit with args in mode m. prep may adjust the command
// (directory, extra files) before it starts. Whatever is left of the tree
// when the test ends is killed.
func startCore(t *testing.T, m coreMode, prep func(*exec.Cmd), args ...string) *coreProc {
	t.Helper()
	argv := m.argv(t, args...)
	p := &coreProc{mode: m, cmd: exec.Command(argv[0], argv[1:]...), done: make(chan error, 1)}
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.err
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if prep != nil {
		prep(p.cmd)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %v: %v", argv, err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if !p.finished {
			killTree(p.cmd.Process.Pid)
			<-p.done
		}
	})
	return p
}

// tinitPID is tinit's pid as the test sees it. Under unshare --fork tinit is
// unshare's only child.
func (p *coreProc) tinitPID(t *testing.T) int {
	t.Helper()
	if !p.mode.ns {
		return p.cmd.Process.Pid
	}
	kids := childrenOf(p.cmd.Process.Pid)
	if len(kids) != 1 {
		t.Fatalf("unshare (pid %d) has children %v, want exactly tinit", p.cmd.Process.Pid, kids)
	}
	return kids[0]
}

// waitChildStarted waits until tinit has started its child: in a pid
// namespace, unshare's child is tinit itself, which then still starts.
func (p *coreProc) waitChildStarted(t *testing.T) {
	t.Helper()
	waitFor(t, 10*time.Second, "tinit to start its child", func() bool {
		kids := childrenOf(p.cmd.Process.Pid)
		if !p.mode.ns {
			return len(kids) > 0
		}
		return len(kids) == 1 && len(childrenOf(kids[0])) > 0
	})
}

// wait waits at most timeout for tinit (and unshare) to exit.
func (p *coreProc) wait(t *testing.T, timeout time.Duration) result {
	t.Helper()
	var err error
	select {
	case err = <-p.done:
	case <-time.After(timeout):
		t.Fatalf("tinit did not exit within %v\nstdout:\n%s\nstderr:\n%s", timeout, p.out.String(), p.err.String())
	}
	p.finished = true
	r := result{Stdout: p.out.String(), Stderr: p.err.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.Code = exitCodeOf(ee.Sys().(syscall.WaitStatus))
	} else if err != nil {
		t.Fatalf("waiting for tinit: %v", err)
	}
	return r
}

func exitCodeOf(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// runQuiet runs argv like run, but reports a failure to start or a timeout
// as an error, so that worker goroutines can call it.
func runQuiet(timeout time.Duration, argv []string, env ...string) (result, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(timeout):
		killTree(cmd.Process.Pid)
		<-done
		return result{}, fmt.Errorf("%q did not finish within %v", argv, timeout)
	}
	r := result{Stdout: out.String(), Stderr: errb.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.Code = exitCodeOf(ee.Sys().(syscall.WaitStatus))
	} else if err != nil {
		return r, err
	}
	return r, nil
}

// parallelRuns calls f(i) for i in [0, n) on a few workers: enough to hide
// process start-up latency, few enough for a 2-core machine shared with
// other tests.
func parallelRuns(n int, f func(i int)) {
	const workers = 4
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// procStat is the part of /proc/PID/stat the tests look at.
type procStat struct {
	pid, ppid, pgrp int
	state           string
}

func readStat(pid int) (procStat, error) {
	st, err := procview.Stat(pid)
	if err != nil {
		return procStat{}, err
	}
	return procStat{pid: pid, ppid: st.PPID, pgrp: st.PGRP, state: st.State}, nil
}

func allStats() []procStat {
	ents, _ := os.ReadDir("/proc")
	var all []procStat
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readStat(pid); err == nil {
			all = append(all, st)
		}
	}
	return all
}

func childrenOf(pid int) []int {
	var kids []int
	for _, st := range allStats() {
		if st.ppid == pid {
			kids = append(kids, st.pid)
		}
	}
	return kids
}

// killTree SIGKILLs pid and every descendant the test can see, so a failed
// test leaves nothing running.
func killTree(pid int) {
	all := allStats()
	tree := map[int]bool{pid: true}
	for grew := true; grew; {
		grew = false
		for _, st := range all {
			if tree[st.ppid] && !tree[st.pid] {
				tree[st.pid], grew = true, true
			}
		}
	}
	for p := range tree {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func readString(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
