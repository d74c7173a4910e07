package drain

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
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
	// keptWrites are the pipes it writes through an fd without O_CLOEXEC,
	// one it keeps across exec: a child between fork and exec also holds
	// its parent's close-on-exec pipes (the one that reports a failed
	// exec), which it will not write to for long.
	keptWrites map[uint64]bool
}

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

// pipeFd is one fd of a process that names a pipe.
type pipeFd struct {
	fd    int
	inode uint64
	flags uint64 // open flags from fdinfo: access mode, O_CLOEXEC
}

// pipeFdsOf lists the pipe fds of a process; see procReader.pipeFds.
func pipeFdsOf(pid int) ([]pipeFd, error) {
	var r procReader
	return r.pipeFds(procRoot + "/" + strconv.Itoa(pid))
}

// pipeInode names the pipe the fd link name in the fd directory dirfd
// leads to, or is 0 for anything else. An anonymous pipe's link is
// "pipe:[INODE]", shorter than the buffer (a longer link is cut short, and
// is no pipe). A named FIFO's link is its path, so a link to a path is
// stat'ed: a FIFO is keyed by its device and inode, in a space of its own
// (fifoKey) that no pipefs inode reaches. Each path is stat'ed once per
// scan: a process with thousands of fds on one file (/dev/null) costs one
// stat, not thousands.
func (r *procReader) pipeInode(dirfd int, name []byte) uint64 {
	n, err := readlinkat(dirfd, name, r.link[:])
	link := r.link[:max(n, 0)]
	switch {
	case err != nil:
		return 0
	case bytes.HasPrefix(link, []byte("pipe:[")) && bytes.HasSuffix(link, []byte("]")):
		return decimal(link[len("pipe:[") : len(link)-1])
	case len(link) == 0 || link[0] != '/':
		return 0 // a socket, an anon_inode, a memfd
	}
	if n < len(r.link) {
		if key, ok := r.fifos[string(link)]; ok {
			return key
		}
	}
	var st unix.Stat_t
	key := uint64(0)
	if unix.Fstatat(dirfd, string(name[:len(name)-1]), &st, 0) == nil && st.Mode&unix.S_IFMT == unix.S_IFIFO {
		key = fifoKey(uint64(st.Dev), st.Ino) // Dev is uint32 on mips64
	}
	if n < len(r.link) {
		if r.fifos == nil {
			r.fifos = map[string]uint64{}
		}
		r.fifos[string(link)] = key
	}
	return key
}

// fifoKey folds a FIFO's device and inode into one key with the top bit
// set; pipefs inode numbers are far below it.
func fifoKey(dev, ino uint64) uint64 {
	return 1<<63 | (dev<<40 ^ ino)
}

// pipeFdsByDirection sorts a process's pipe fds by direction.
func (r *procReader) pipeFdsByDirection(p *Proc) (writes, reads map[uint64][]int) {
	dir := p.taskDir
	if dir == "" {
		dir = procRoot + "/" + strconv.Itoa(p.PID)
	}
	var fds []pipeFd
	if r.cache != nil {
		fds = r.cache.pipeFdsOfProc(r, p, dir)
	} else {
		fds, _ = r.pipeFds(dir)
	}
	proc := p
	proc.keptWrites = nil
	for _, p := range fds {
		if p.flags&unix.O_ACCMODE != unix.O_RDONLY && p.flags&unix.O_CLOEXEC == 0 {
			if proc.keptWrites == nil {
				proc.keptWrites = map[uint64]bool{}
			}
			proc.keptWrites[p.inode] = true
		}
		switch p.flags & unix.O_ACCMODE {
		case unix.O_WRONLY:
			writes = addFd(writes, p.inode, p.fd)
		case unix.O_RDONLY:
			reads = addFd(reads, p.inode, p.fd)
		default: // O_RDWR: a FIFO opened both ways reads and writes
			writes = addFd(writes, p.inode, p.fd)
			reads = addFd(reads, p.inode, p.fd)
		}
	}
	return writes, reads
}

// fdFlags reads the octal "flags:" line of an fdinfo file.
func (r *procReader) fdFlags(path string) (uint64, bool) {
	b, err := r.file(path)
	if err != nil {
		return 0, false
	}
	return flagsOf(b)
}

// fdFlagsAt is fdFlags for the file name (NUL-terminated) in the
// directory infofd.
func (r *procReader) fdFlagsAt(infofd int, name []byte) (uint64, bool) {
	b, err := r.fileAt(infofd, name)
	if err != nil {
		return 0, false
	}
	return flagsOf(b)
}

func flagsOf(b []byte) (uint64, bool) {
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte("\n"))
		if v, ok := bytes.CutPrefix(line, []byte("flags:")); ok {
			n, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 8, 64)
			return n, err == nil
		}
	}
	return 0, false
}

func addFd(m map[uint64][]int, ino uint64, fd int) map[uint64][]int {
	if m == nil {
		m = map[uint64][]int{}
	}
	m[ino] = append(m[ino], fd)
	return m
}

// Descendants are the processes below pid, children before grandchildren.
func (s *Snapshot) Descendants(pid int) []*Proc {
	children := s.children()
	var out []*Proc
	queue := []int{pid}
	for len(queue) > 0 {
		for _, c := range children[queue[0]] {
			out = append(out, c)
			queue = append(queue, c.PID)
		}
		queue = queue[1:]
	}
	return out
}

func (s *Snapshot) children() map[int][]*Proc {
	m := map[int][]*Proc{}
	for _, p := range s.Procs {
		if p.PID != p.PPID {
			m[p.PPID] = append(m[p.PPID], p)
		}
	}
	for _, c := range m {
		sortByPID(c)
	}
	return m
}

func (s *Snapshot) isDescendant(pid, of int) bool {
	for seen := 0; seen < len(s.Procs); seen++ {
		p, ok := s.Procs[pid]
		if !ok || p.PPID == 0 {
			return false
		}
		if p.PPID == of {
			return true
		}
		pid = p.PPID
	}
	return false
}
