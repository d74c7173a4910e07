package procview

import (
	"errors"
	"io/fs"
	"os"
	"strconv"

	"github.com/prometheus/procfs"
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
	proc      procfs.Proc      // /proc/PID
	task      task             // where its fds and state are live
	threads   int
	exiting   bool // in the kernel's exit path: it will open no more fds
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
// What ownFS returns says which, and is ErrNoProc for errors.Is.
var ErrNoProc = errors.New("/proc does not show this pid namespace")

// noProcError is one reason for ErrNoProc, in words for the user.
type noProcError string

func (e noProcError) Error() string        { return string(e) }
func (e noProcError) Is(target error) bool { return target == ErrNoProc }

const errProcOfAnother = noProcError("/proc shows another pid namespace")

// noProc is ErrNoProc for a /proc that cannot be read: err from procfs.
func noProc(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return noProcError("/proc is not mounted")
	}
	return noProcError("/proc cannot be read: " + err.Error())
}

// scanner is one scan: the FIFOs it has stat'ed and, for ScanOwn, the fd
// tables earlier scans read.
type scanner struct {
	fs     procfs.FS
	fifos  map[string]uint64 // fd link path -> fifoKey, or 0 for no FIFO
	cache  *fdCache
	allFds []int32 // every fd number pipeFds saw last
}

// Scan reads every process in /proc; withFds also reads their pipe fds,
// which costs a readlink per fd. Processes that vanish or deny access midway
// are skipped or kept without fds: a scan never fails for one process.
func Scan(withFds bool) (*Snapshot, error) {
	fs, err := ownFS()
	if err != nil {
		return nil, err
	}
	r := scanner{fs: fs}
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
	fs, err := ownFS()
	if err != nil {
		return nil, err
	}
	r := scanner{fs: fs}
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
			cmdline(p)
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

func (r *scanner) procs(withCmdline bool) (*Snapshot, error) {
	all, err := r.fs.AllProcs()
	if err != nil {
		return nil, noProc(err)
	}
	snap := &Snapshot{Self: os.Getpid(), Procs: make(map[int]*Proc, len(all))}
	for _, h := range all {
		if p, ok := r.proc(h, withCmdline); ok {
			snap.Procs[h.PID] = p
		}
	}
	return snap, nil
}

// proc reads h's stat and, if asked, its command line. A process that
// vanished since the directory was listed has no stat, and is skipped.
func (r *scanner) proc(h procfs.Proc, withCmdline bool) (*Proc, bool) {
	st, err := h.Stat()
	if err != nil {
		return nil, false
	}
	p := &Proc{PID: h.PID, PPID: st.PPID, Pgid: st.PGRP, Sid: st.Session, State: st.State, Comm: st.Comm,
		Starttime: st.Starttime, threads: st.NumThreads, exiting: st.Flags&pfExiting != 0,
		proc: h, task: task{h, procDir(h.PID)}}
	if p.State == "Z" {
		// A zombie main thread with live threads is a live process: it
		// holds its fds and runs, seen through one of its threads.
		if t, state, ok := r.liveThread(h.PID); ok {
			p.task, p.State = t, state
		}
	}
	if withCmdline {
		cmdline(p)
	}
	return p, true
}

// cmdline reads p's command line.
func cmdline(p *Proc) {
	if c, err := p.task.CmdLine(); err == nil && len(c) > 0 {
		p.Cmdline = c
	}
}

// liveThread finds a thread of pid other than its main one that has not
// exited, and its state letter.
func (r *scanner) liveThread(pid int) (task, string, bool) {
	threads, err := r.fs.AllThreads(pid)
	if err != nil {
		return task{}, "", false
	}
	for _, t := range threads {
		if t.PID == pid {
			continue
		}
		if st, err := t.Stat(); err == nil && st.State != "Z" && st.State != "X" {
			return task{t, procDir(pid) + "/task/" + strconv.Itoa(t.PID)}, st.State, true
		}
	}
	return task{}, "", false
}
