package drain

import (
	"bytes"

	"golang.org/x/sys/unix"
)

// fdCache keeps, from one round of ending leaks to the next, the pipe fds
// found in each process, so that a round reads again only the fd tables
// that may have changed. A single-threaded process that has not run since
// its last look (its time on the CPU is the same to the nanosecond) and has
// as many fds open has not changed its fd table. (A process sharing its fd
// table with another, CLONE_FILES without CLONE_THREAD, could have it
// changed by that one; no common program does that to a pipe it leaked.)
type fdCache struct {
	gen     int
	entries map[procKey]*fdEntry
}

type fdEntry struct {
	count int64  // open fds, from the size of /proc/PID/fd (Linux 6.2 on)
	ran   uint64 // nanoseconds on the CPU, from /proc/PID/schedstat
	fds   []pipeFd
	gen   int
}

// ownFds is ScanOwn's cache; only the loop of tinit calls ScanOwn.
var ownFds fdCache

// pipeFdsOfProc is pipeFds for p, from the cache when p cannot have
// changed its fds since the last scan.
func (c *fdCache) pipeFdsOfProc(r *procReader, p *Proc, dir string) []pipeFd {
	if p.taskDir != "" || p.threads != 1 {
		fds, _ := r.pipeFds(dir)
		return fds
	}
	if c.entries == nil {
		c.entries = map[procKey]*fdEntry{}
	}
	var st unix.Stat_t
	count := int64(0)
	if unix.Stat(dir+"/fd", &st) == nil {
		count = st.Size
	}
	ran, ranOK := r.onCPU(dir)
	k := keyOf(p)
	e := c.entries[k]
	// A process on its way out runs, and closes its fds, but opens none:
	// what it held is all it can still hold, and reading 15,000 fds again
	// while it closes them would only slow the round.
	if e != nil && p.exiting {
		e.gen = c.gen
		return e.fds
	}
	if e != nil && ranOK && count > 0 && e.count == count && e.ran == ran {
		e.gen = c.gen
		return e.fds
	}
	fds, err := r.pipeFds(dir)
	if err != nil || !ranOK || count <= 0 {
		delete(c.entries, k)
		return fds
	}
	c.entries[k] = &fdEntry{count: count, ran: ran, fds: fds, gen: c.gen}
	return fds
}

// nextScan starts a scan; prune then drops the processes it did not see.
func (c *fdCache) nextScan() { c.gen++ }

func (c *fdCache) prune() {
	for k, e := range c.entries {
		if e.gen != c.gen {
			delete(c.entries, k)
		}
	}
}

// onCPU is the first field of /proc/PID/schedstat: nanoseconds run.
func (r *procReader) onCPU(dir string) (uint64, bool) {
	b, err := r.file(dir + "/schedstat")
	if err != nil {
		return 0, false
	}
	if i := bytes.IndexByte(b, ' '); i > 0 {
		return decimal(b[:i]), true
	}
	return 0, false
}
