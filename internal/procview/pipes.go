package procview

import (
	"bytes"
	"strconv"

	"golang.org/x/sys/unix"
)

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
