package procview

import "golang.org/x/sys/unix"

// fdCache keeps, from one round of ending leaks to the next, the pipe fds
// found in each process, so that a round reads again only the fd tables
// that may have changed. A single-threaded process that is not running,
// has not run since its last look (its time on the CPU is the same to the
// nanosecond) and has as many fds open has not changed its fd table. (A process sharing its fd
// table with another, CLONE_FILES without CLONE_THREAD, could have it
// changed by that one; no common program does that to a pipe it leaked.)
type fdCache struct {
	gen     int
	entries map[Key]*fdEntry
	ref     *fdRef
}

type fdEntry struct {
	count int64  // open fds
	ran   uint64 // nanoseconds on the CPU, from /proc/PID/schedstat
	fds   []pipeFd
	gen   int
}

// ownFds is ScanOwn's cache; only the loop of tinit calls ScanOwn.
var ownFds fdCache

// pipeFdsOfProc is pipeFds for p, from the cache when p cannot have
// changed its fds since the last scan.
func (c *fdCache) pipeFdsOfProc(r *scanner, p *Proc) []pipeFd {
	if p.task.PID != p.PID || p.threads != 1 {
		fds, _ := r.pipeFds(p.task)
		return fds
	}
	if c.entries == nil {
		c.entries = map[Key]*fdEntry{}
	}
	// From Linux 6.2 the size of fd/ is the count, one stat; before, procfs
	// lists fd/, which costs less than the readlinks it may spare.
	n, err := p.task.FileDescriptorsLen()
	count := int64(n)
	if err != nil {
		count = 0
	}
	sched, err := p.task.Schedstat()
	ran, ranOK := sched.RunningNanoseconds, err == nil
	k := p.Key()
	e := c.entries[k]
	// A process on its way out runs, and closes its fds, but opens none:
	// what it held is all it can still hold, and reading 15,000 fds again
	// while it closes them would only slow the round.
	if e != nil && p.exiting {
		e.gen = c.gen
		return e.fds
	}
	// The kernel adds a slice to the time on the CPU only when the slice
	// ends: a process running on another CPU right now shows the time of
	// its last look while it execs and moves its fds (seen in a Debian
	// build: a shell's `exec 5>&1; exec sleep` scanned with the shell's
	// fds). So a running process is read again.
	if e != nil && ranOK && count > 0 && e.count == count && e.ran == ran && p.State != "R" {
		e.gen = c.gen
		return e.fds
	}
	if fds, ok := c.likeSibling(p, count); ok {
		if ranOK {
			c.entries[k] = &fdEntry{count: count, ran: ran, fds: fds, gen: c.gen}
		}
		return fds
	}
	fds, err := r.pipeFds(p.task)
	if err != nil || !ranOK || count <= 0 {
		delete(c.entries, k)
		return fds
	}
	c.entries[k] = &fdEntry{count: count, ran: ran, fds: fds, gen: c.gen}
	if count >= siblingMin && int64(len(r.allFds)) == count {
		c.ref = &fdRef{key: k, gen: c.gen, all: append([]int32(nil), r.allFds...), fds: fds}
	}
	return fds
}

// siblingMin is the fd count from which comparing a table with the last one
// read whole pays: below it, reading the links costs little anyway.
const siblingMin = 256

// fdRef is the last large fd table read whole in this scan: every fd
// number it had, and its pipe fds.
type fdRef struct {
	key Key
	gen int
	all []int32
	fds []pipeFd
}

// likeSibling tells p's pipe fds without reading its links when p's fd
// table is the same as the last large one read whole in this scan: as many
// fds, and each of that one's fd numbers the very same open file in p
// (kcmp KCMP_FILE, one cheap call per fd, no /proc entry made). Processes
// forked from one parent with a big fd table, as 50 leaked workers are,
// then cost one readlink pass in all rather than one each. The entries a
// readlink makes in /proc are costly a second time, too: the kernel tears
// them down when the process is reaped, in tinit's wait4.
func (c *fdCache) likeSibling(p *Proc, count int64) ([]pipeFd, bool) {
	ref := c.ref
	if ref == nil || ref.gen != c.gen || int64(len(ref.all)) != count || ref.key.PID == p.PID {
		return nil, false
	}
	for _, fd := range ref.all {
		same, _, errno := unix.Syscall6(unix.SYS_KCMP, uintptr(p.PID), uintptr(ref.key.PID), kcmpFile,
			uintptr(fd), uintptr(fd), 0)
		if errno != 0 || same != 0 {
			return nil, false
		}
	}
	return ref.fds, true
}

// kcmpFile is KCMP_FILE: are two fds the same open file description.
const kcmpFile = 0

// nextScan starts a scan; prune then drops the processes it did not see.
func (c *fdCache) nextScan() { c.gen++ }

func (c *fdCache) prune() {
	for k, e := range c.entries {
		if e.gen != c.gen {
			delete(c.entries, k)
		}
	}
}
