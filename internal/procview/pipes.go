package procview

import (
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// pipeFd is one fd of a process that names a pipe.
type pipeFd struct {
	fd    int
	inode uint64
	flags uint64 // open flags from fdinfo: access mode, O_CLOEXEC
}

// pipeFds lists the pipe fds of t, named FIFOs included. Both ends of a
// pipe are the same inode; fdinfo's flags tell them apart, so fdinfo is
// read only for pipes. The kernel has no call that lists only the pipes
// among a process's fds: each fd costs a readlink.
func (r *scanner) pipeFds(t task) ([]pipeFd, error) {
	fds, err := t.FileDescriptors()
	r.allFds = r.allFds[:0]
	if err != nil {
		return nil, err
	}
	// /proc lists fds in order, a copy of it (a test's) need not: the order
	// is that of the fds shown for a pipe.
	slices.Sort(fds)
	var out []pipeFd
	for _, fd := range fds {
		r.allFds = append(r.allFds, int32(fd))
		name := strconv.Itoa(int(fd))
		ino := r.pipeInode(t.dir + "/fd/" + name)
		if ino == 0 {
			continue
		}
		info, err := t.FDInfo(name)
		if err != nil {
			continue // closed since the link was read
		}
		if flags, err := strconv.ParseUint(info.Flags, 8, 64); err == nil {
			out = append(out, pipeFd{int(fd), ino, flags})
		}
	}
	return out, nil
}

// pipeInode names the pipe the fd link at path leads to, or is 0 for
// anything else. An anonymous pipe's link is "pipe:[INODE]". A named FIFO's
// link is its path, so a link to a path is stat'ed: a FIFO is keyed by its
// device and inode, in a space of its own (fifoKey) that no pipefs inode
// reaches. Each path is stat'ed once per scan: a process with thousands of
// fds on one file (/dev/null) costs one stat, not thousands.
func (r *scanner) pipeInode(path string) uint64 {
	link, err := os.Readlink(path)
	if err != nil {
		return 0
	}
	if n, ok := strings.CutPrefix(link, "pipe:["); ok {
		n, ok = strings.CutSuffix(n, "]")
		ino, err := strconv.ParseUint(n, 10, 64)
		if !ok || err != nil {
			return 0
		}
		return ino
	}
	if !strings.HasPrefix(link, "/") {
		return 0 // a socket, an anon_inode, a memfd
	}
	if key, ok := r.fifos[link]; ok {
		return key
	}
	var st unix.Stat_t
	key := uint64(0)
	if unix.Stat(path, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFIFO {
		key = fifoKey(uint64(st.Dev), st.Ino) // Dev is uint32 on mips64
	}
	if r.fifos == nil {
		r.fifos = map[string]uint64{}
	}
	r.fifos[link] = key
	return key
}

// fifoKey folds a FIFO's device and inode into one key with the top bit
// set; pipefs inode numbers are far below it.
func fifoKey(dev, ino uint64) uint64 {
	return 1<<63 | (dev<<40 ^ ino)
}

// pipeFdsByDirection sorts a process's pipe fds by direction.
func (r *scanner) pipeFdsByDirection(p *Proc) (writes, reads map[uint64][]int) {
	var fds []pipeFd
	if r.cache != nil {
		fds = r.cache.pipeFdsOfProc(r, p)
	} else {
		fds, _ = r.pipeFds(p.task)
	}
	proc := p
	proc.KeptWrites = nil
	for _, p := range fds {
		if p.flags&unix.O_ACCMODE != unix.O_RDONLY && p.flags&unix.O_CLOEXEC == 0 {
			if proc.KeptWrites == nil {
				proc.KeptWrites = map[uint64]bool{}
			}
			proc.KeptWrites[p.inode] = true
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

func addFd(m map[uint64][]int, ino uint64, fd int) map[uint64][]int {
	if m == nil {
		m = map[uint64][]int{}
	}
	m[ino] = append(m[ino], fd)
	return m
}
