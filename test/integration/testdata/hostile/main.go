// Command hostile plays the misbehaving tests of the hostile integration
// tests. HOSTILE_MODE picks the behaviour, so that argv stays free for
// modes that disguise their command line.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func main() {
	mode := os.Getenv("HOSTILE_MODE")
	switch mode {
	case "forkloop":
		forkLoop()
	case "mass":
		mass(envInt("HOSTILE_N", 2000))
	case "passfd":
		os.Exit(passFd())
	case "recvfd":
		recvFd()
	case "orphans":
		orphans(envInt("HOSTILE_N", 10000))
	case "rename":
		rename()
	case "storm":
		storm(envInt("HOSTILE_N", 10000))
	case "zombies":
		zombies(envInt("HOSTILE_PID", 0))
	case "lastclose":
		lastClose(os.Getenv("HOSTILE_STAMP"))
	case "hold":
		hold()
	case "stamps":
		stamps(envInt("HOSTILE_N", 1000), envInt("HOSTILE_PAUSE_US", 1000), os.Getenv("HOSTILE_BOTH") == "1")
	case "lines":
		lines(envInt("HOSTILE_N", 1000), envInt("HOSTILE_LEN", 16), envInt("HOSTILE_PAUSE_US", 0))
	case "manyfds":
		manyFds(envInt("HOSTILE_N", 50), envInt("HOSTILE_FDS", 15000))
	case "slowrelay":
		slowRelay(time.Duration(envInt("HOSTILE_DELAY_US", 2000)) * time.Microsecond)
	default:
		fmt.Fprintln(os.Stderr, "hostile: unknown HOSTILE_MODE", mode)
		os.Exit(2)
	}
}

// withEnv is the environment with name set to value: a duplicate would
// lose, since the first occurrence wins.
func withEnv(name, value string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, name+"=") {
			env = append(env, kv)
		}
	}
	return append(env, name+"="+value)
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

// marked starts a sleep holding our stdout and stderr whose argv[0] is
// HOSTILE_MARK, so the test can look for survivors by command line.
func marked() error {
	_, err := syscall.ForkExec("/bin/sleep", []string{os.Getenv("HOSTILE_MARK"), "1000"},
		&syscall.ProcAttr{Files: []uintptr{0, 1, 2}})
	return err
}

// forkLoop leaks itself: it says "started", then forks a holder every 5 ms
// in a process the main child leaves behind.
func forkLoop() {
	if os.Getenv("HOSTILE_LOOPER") == "" {
		_, err := syscall.ForkExec("/proc/self/exe", os.Args, &syscall.ProcAttr{
			Env:   append(os.Environ(), "HOSTILE_LOOPER=1"),
			Files: []uintptr{0, 1, 2},
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("started")
		return
	}
	for {
		_ = marked()
		time.Sleep(5 * time.Millisecond)
	}
}

// mass leaks n holders as fast as it can fork them, then exits.
func mass(n int) {
	for i := 0; i < n; i++ {
		if err := marked(); err != nil {
			fmt.Fprintln(os.Stderr, "fork", i, err)
			os.Exit(1)
		}
	}
	fmt.Println("started", n)
}

// passFd hands its stdout and stderr to a grandchild through a unix socket
// (SCM_RIGHTS), closes its own and exits 7. The grandchild was started with
// /dev/null as its output, so only the passed fds link it to tinit's pipes.
func passFd() int {
	fmt.Println("from child")
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	devnull, err := os.OpenFile("/dev/null", os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env := withEnv("HOSTILE_MODE", "recvfd")
	_, err = syscall.ForkExec("/proc/self/exe", []string{"hostile-recv"}, &syscall.ProcAttr{
		Env:   env,
		Files: []uintptr{devnull.Fd(), devnull.Fd(), devnull.Fd(), uintptr(fds[1])},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	unix.Close(fds[1])
	if err := unix.Sendmsg(fds[0], []byte{'x'}, unix.UnixRights(1, 2), nil, 0); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// Wait for the grandchild to hold the fds, so they are never only in
	// flight in the socket, where no scan of /proc can see them.
	if _, err := unix.Read(fds[0], make([]byte, 1)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	unix.Close(1)
	unix.Close(2)
	return 7
}

// recvFd takes the passed stdout and stderr, writes one line to each once
// the sender is gone (and HOSTILE_BYTES more 'y's to stdout), and then exits, or holds them for good when
// HOSTILE_HOLD=1.
func recvFd() {
	oob := make([]byte, unix.CmsgSpace(2*4))
	_, oobn, _, _, err := unix.Recvmsg(3, make([]byte, 1), oob, 0)
	if err != nil {
		os.Exit(1)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		os.Exit(1)
	}
	got, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(got) != 2 {
		os.Exit(1)
	}
	_, _ = unix.Write(3, []byte{'k'})
	// The sender exits after the ack; the socket's end of file says so.
	_, _ = unix.Read(3, make([]byte, 1))
	_, _ = unix.Write(got[0], []byte("from grandchild\n"))
	if n := envInt("HOSTILE_BYTES", 0); n > 0 {
		_, _ = os.NewFile(uintptr(got[0]), "stdout").Write(bytes.Repeat([]byte{'y'}, n))
	}
	_, _ = unix.Write(got[1], []byte("grandchild stderr\n"))
	if os.Getenv("HOSTILE_HOLD") == "1" {
		hold()
	}
}

// orphans starts n short-lived processes one after another as children of
// its own parent (CLONE_PARENT), so tinit reaps every one, and prints
// tinit's fd count and resident set size after the first tenth and at the
// end.
func orphans(n int) {
	ppid := os.Getppid()
	attr := &syscall.ProcAttr{Sys: &syscall.SysProcAttr{Cloneflags: syscall.CLONE_PARENT}}
	sample := func(label string) {
		ents, err := os.ReadDir(filepath.Join("/proc", strconv.Itoa(ppid), "fd"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("%s fds=%d rss=%d\n", label, len(ents), rssKB(ppid))
	}
	for i := 1; i <= n; i++ {
		if _, err := syscall.ForkExec("/bin/true", []string{"true"}, attr); err != nil {
			fmt.Fprintln(os.Stderr, "spawn", i, err)
			os.Exit(1)
		}
		if i == n/10 {
			sample("early")
		}
	}
	// Let tinit catch up with the last SIGCHLDs before the late sample.
	for i := 0; i < 200 && childrenOf(ppid) > 1; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	sample("late")
}

func rssKB(pid int) int {
	b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return -1
}

// childrenOf counts pid's children, zombies included.
func childrenOf(pid int) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	return len(strings.Fields(string(b)))
}

// rename disguises itself: it re-executes itself with an argv of terminal
// escape sequences and a very long argument, sets its comm to escapes too,
// starts a child that holds the output under the same disguise, and holds
// the output itself.
func rename() {
	if len(os.Args) < 2 || os.Args[1] != "\x1b]0;pwned\a" {
		evil := []string{"\x1b[2J\x1b[31mEVIL\x1b[0m\r\n", "\x1b]0;pwned\a",
			strings.Repeat("\x1b[1mA very long line\x9b\u202e", 4000)}
		if err := syscall.Exec("/proc/self/exe", evil, os.Environ()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	name := []byte("\x1b[5m\a\n\x00")
	_ = unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&name[0])), 0, 0, 0)
	if os.Getenv("HOSTILE_CHILD") == "" {
		_, err := syscall.ForkExec("/proc/self/exe", os.Args, &syscall.ProcAttr{
			Env: append(os.Environ(), "HOSTILE_CHILD=1"), Files: []uintptr{0, 1, 2}})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	hold()
}

// hold keeps the output open until killed. A bare select{} would make the
// Go runtime call it a deadlock.
func hold() {
	for {
		time.Sleep(time.Hour)
	}
}

// storm starts n processes that wait for end of file on one pipe whose only
// writer is this process, prints "trigger NS" (the Unix time in
// nanoseconds) and exits: the pipe closes, and all n exit at once as
// orphans for the init to reap.
func storm(n int) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	devnull, err := os.OpenFile("/dev/null", os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	attr := &syscall.ProcAttr{Files: []uintptr{uintptr(p[0]), devnull.Fd(), devnull.Fd()}}
	for i := 0; i < n; i++ {
		if _, err := syscall.ForkExec("/usr/bin/head", []string{"head", "-c1"}, attr); err != nil {
			fmt.Fprintln(os.Stderr, "spawn", i, err)
			os.Exit(1)
		}
	}
	fmt.Printf("trigger %d\n", time.Now().UnixNano())
}

// zombies watches pid's children until pid is gone and prints the highest
// number of them seen as zombies at once.
func zombies(pid int) {
	most := 0
	path := fmt.Sprintf("/proc/%d/task/%d/children", pid, pid)
	for {
		b, err := os.ReadFile(path)
		if err != nil {
			break
		}
		z := 0
		for _, c := range strings.Fields(string(b)) {
			st, err := os.ReadFile("/proc/" + c + "/stat")
			if i := strings.LastIndexByte(string(st), ')'); err == nil && i > 0 && i+2 < len(st) && st[i+2] == 'Z' {
				z++
			}
		}
		most = max(most, z)
	}
	fmt.Println(most)
}

// lastClose writes the Unix time in nanoseconds to stamp just before it
// closes its stdout and stderr, the last holders of tinit's pipes, and
// exits.
func lastClose(stamp string) {
	fmt.Println("bye")
	if err := os.WriteFile(stamp, []byte(strconv.FormatInt(time.Now().UnixNano(), 10)), 0o644); err != nil {
		os.Exit(1)
	}
	unix.Close(1)
	unix.Close(2)
}

// lines writes n lines of length size to stdout and n to stderr, taking
// turns, each line one write(2): "o-NNNNNN-xxx…\n" and "e-NNNNNN-xxx…\n".
// pause (µs) between writes lets the reader take each write on its own.
func lines(n, size, pause int) {
	for i := range n {
		for fd, tag := range []byte{'o', 'e'} {
			b := []byte(fmt.Sprintf("%c-%06d-", tag, i))
			for len(b) < size-1 {
				b = append(b, 'x')
			}
			b = append(b[:size-1], '\n')
			if _, err := unix.Write(fd+1, b); err != nil {
				os.Exit(1)
			}
			if pause > 0 {
				time.Sleep(time.Duration(pause) * time.Microsecond)
			}
		}
	}
}

// stamps writes n lines, each the CLOCK_MONOTONIC time in ns just before
// its write(2), pause µs apart, to stdout, or in turn to stdout and stderr
// when both: a reader takes each line's delay from it.
func stamps(n, pause int, both bool) {
	for i := range n {
		fd := 1
		if both {
			fd += i % 2
		}
		var ts unix.Timespec
		_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
		if _, err := unix.Write(fd, []byte(strconv.FormatInt(ts.Nano(), 10)+"\n")); err != nil {
			os.Exit(1)
		}
		time.Sleep(time.Duration(pause) * time.Microsecond)
	}
}

// slowRelay copies its stdin to its stdout line by line, one line per
// delay, and exits at end of file: a relay slower than its source, which
// forks nothing.
func slowRelay(delay time.Duration) {
	in := bufio.NewReader(os.Stdin)
	for {
		line, err := in.ReadBytes('\n')
		if len(line) > 0 {
			if _, werr := os.Stdout.Write(line); werr != nil {
				os.Exit(1)
			}
			time.Sleep(delay)
		}
		if err != nil {
			return
		}
	}
}

// manyFds leaks n holders with about fds open fds each, all on /dev/null,
// then exits: a leak whose fd tables are large, and hold no other pipe.
func manyFds(n, fds int) {
	lim := unix.Rlimit{Cur: uint64(fds + 100), Max: uint64(fds + 100)}
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &old); err == nil && old.Max > lim.Max {
		lim.Max = old.Max
	}
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Fprintln(os.Stderr, "raising RLIMIT_NOFILE:", err)
		os.Exit(1)
	}
	null, err := unix.Open("/dev/null", unix.O_RDONLY, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Without O_CLOEXEC, every one of them is inherited by the holders.
	for i := 0; i < fds; i++ {
		if _, err := unix.Dup(null); err != nil {
			fmt.Fprintln(os.Stderr, "dup", i, err)
			os.Exit(1)
		}
	}
	if os.Getenv("HOSTILE_IGNORE_TERM") == "1" {
		signal.Ignore(syscall.SIGTERM) // inherited by the holders
	}
	for i := 0; i < n; i++ {
		if err := marked(); err != nil {
			fmt.Fprintln(os.Stderr, "fork", i, err)
			os.Exit(1)
		}
	}
	fmt.Println("started", n)
}
