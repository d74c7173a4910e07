package procview

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
)

// Proc is what one look at /proc/PID told about a process.
type Proc struct {
	PID, PPID int
	Pgid, Sid int // process group and session
	State     string
	Comm      string
	Cmdline   []string
	Starttime uint64           // clock ticks after boot: with PID, names the process uniquely
	Writes    map[uint64][]int // pipe inode -> fds open for writing
	Reads     map[uint64][]int // pipe inode -> fds open for reading
	// taskDir is /proc/PID/task/TID of a live thread when the main thread
	// has exited (pthread_exit): the process's own fd/ is then empty.
	taskDir string
	threads int
	exiting bool // in the kernel's exit path: it will open no more fds
	// KeptWrites are the pipes it writes through an fd without O_CLOEXEC,
	// one it keeps across exec: a child between fork and exec also holds
	// its parent's close-on-exec pipes (the one that reports a failed
	// exec), which it will not write to for long.
	KeptWrites map[uint64]bool
}

// Key names a process uniquely: a pid is reused, a pid and start time are
// not.
type Key struct {
	PID   int
	Start uint64
}

// Key is p's Key.
func (p *Proc) Key() Key { return Key{p.PID, p.Starttime} }

// pfExiting is PF_EXITING among the flags of /proc/PID/stat.
const pfExiting = 0x4

// Snapshot is one scan of /proc.
type Snapshot struct {
	Self  int
	Procs map[int]*Proc
}

// ErrNoProc says /proc cannot tell tinit about its own processes: not
// mounted, unreadable, or mounted for another pid namespace (`unshare --pid
// --fork` without --mount-proc), where its pids would name other processes.
var ErrNoProc = errors.New("/proc does not show this pid namespace")

// procRoot is where Scan looks; tests of the scanner point it elsewhere.
var procRoot = "/proc"

// Scan reads every process in /proc; withFds also reads their pipe fds,
// which costs a readlink per fd. Processes that vanish or deny access midway
// are skipped or kept without fds: a scan never fails for one process.
func Scan(withFds bool) (*Snapshot, error) {
	var r procReader
	snap, err := r.procs(true)
	if err == nil && withFds {
		for _, p := range snap.Procs {
			p.Writes, p.Reads = r.pipeFdsByDirection(p)
		}
	}
	return snap, err
}

// ScanOwn reads every process, but the pipe fds only of those that can hold
// the pipes tinit made. As pid 1 that is the whole namespace: a process that
// joined it with nsenter or `podman exec` can reopen a pipe through
// /proc/PID/fd. As a subreaper it is tinit and its descendants (an orphan is
// reparented to tinit): reading every fd of every process on a busy host
// would make each round of ending leaks take seconds.
func ScanOwn() (*Snapshot, error) {
	var r procReader
	// The command lines are only drawn for holders, which are all in own:
	// on a host with thousands of processes, a subreaper reads them only
	// for its own.
	snap, err := r.procs(false)
	if err != nil {
		return nil, err
	}
	own := append(snap.Descendants(snap.Self), snap.Procs[snap.Self])
	if snap.Self == 1 {
		own = own[:0]
		for _, p := range snap.Procs {
			own = append(own, p)
		}
	}
	for _, p := range own {
		if p != nil {
			r.cmdline(p)
		}
	}
	r.cache = &ownFds
	ownFds.nextScan()
	for _, p := range own {
		if p != nil {
			p.Writes, p.Reads = r.pipeFdsByDirection(p)
		}
	}
	ownFds.prune()
	return snap, nil
}

func (r *procReader) procs(withCmdline bool) (*Snapshot, error) {
	self := os.Getpid()
	if link, err := os.Readlink(procRoot + "/self"); err != nil || link != strconv.Itoa(self) {
		return nil, ErrNoProc
	}
	entries, err := os.ReadDir(procRoot)
	if err != nil {
		return nil, ErrNoProc
	}
	snap := &Snapshot{Self: self, Procs: make(map[int]*Proc, len(entries))}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, ok := r.proc(pid, withCmdline); ok {
			snap.Procs[pid] = p
		}
	}
	return snap, nil
}

// readProc reads one process; see procReader.proc.
func readProc(pid int, withCmdline bool) (*Proc, bool) {
	var r procReader
	return r.proc(pid, withCmdline)
}

// proc reads /proc/PID/stat and, if asked, cmdline. The command name in stat
// may hold spaces and parentheses, so the other fields count from the last
// ')'.
func (r *procReader) proc(pid int, withCmdline bool) (*Proc, bool) {
	dir := procRoot + "/" + strconv.Itoa(pid)
	b, err := r.file(dir + "/stat")
	if err != nil {
		return nil, false
	}
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return nil, false
	}
	// Fields from the state on; the start time is the 20th.
	var f [20][]byte
	n := 0
	for rest := b[end+1:]; n < len(f); n++ {
		rest = bytes.TrimLeft(rest, " ")
		i := bytes.IndexAny(rest, " \n")
		if i <= 0 {
			break
		}
		f[n], rest = rest[:i], rest[i:]
	}
	if n < len(f) {
		return nil, false
	}
	p := &Proc{PID: pid, Comm: string(b[open+1 : end]), State: string(f[0])}
	p.PPID = int(decimal(f[1]))
	p.Pgid = int(decimal(f[2]))
	p.Sid = int(decimal(f[3]))
	p.Starttime = decimal(f[19])
	p.threads = int(decimal(f[17]))
	p.exiting = decimal(f[6])&pfExiting != 0
	if p.State == "Z" {
		// A zombie main thread with live threads is a live process: it
		// holds its fds and runs, seen through one of its threads.
		if tdir, state, ok := r.liveThread(dir, pid); ok {
			p.taskDir, p.State, dir = tdir, state, tdir
		}
	}
	if withCmdline {
		r.cmdline(p)
	}
	return p, true
}

// cmdline reads p's command line.
func (r *procReader) cmdline(p *Proc) {
	dir := p.taskDir
	if dir == "" {
		dir = procRoot + "/" + strconv.Itoa(p.PID)
	}
	if c, err := r.file(dir + "/cmdline"); err == nil && len(c) > 0 {
		p.Cmdline = strings.Split(strings.TrimSuffix(string(c), "\x00"), "\x00")
	}
}

// liveThread finds a thread of pid other than its main one that has not
// exited, and its state letter.
func (r *procReader) liveThread(dir string, pid int) (taskDir, state string, ok bool) {
	d, err := os.Open(dir + "/task")
	if err != nil {
		return "", "", false
	}
	tids, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return "", "", false
	}
	for _, tid := range tids {
		if tid == strconv.Itoa(pid) {
			continue
		}
		b, err := r.file(dir + "/task/" + tid + "/stat")
		end := bytes.LastIndexByte(b, ')')
		if err != nil || end < 0 || len(b) < end+3 {
			continue
		}
		if st := string(b[end+2 : end+3]); st != "Z" && st != "X" {
			return dir + "/task/" + tid, st, true
		}
	}
	return "", "", false
}

// decimal parses the unsigned decimal numbers of stat; anything else
// (a negative tty_nr, say) is not asked for.
func decimal(b []byte) uint64 {
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + uint64(c-'0')
	}
	return n
}
