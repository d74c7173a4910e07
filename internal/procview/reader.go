package procview

import "golang.org/x/sys/unix"

// procReader reads the small files of /proc for one scan, into one buffer
// it keeps, with bare system calls. While leaks remain, tinit scans every
// 50 ms, reading a stat, a cmdline and, per pipe fd, a link and an fdinfo
// of each process: os.ReadFile would add an fstat, fcntl calls, a refused
// epoll_ctl and a fresh buffer to every one of those files.
type procReader struct {
	buf    []byte
	link   [64]byte
	dents  []byte            // getdents64 records of one fd directory
	fifos  map[string]uint64 // fd link path -> fifoKey, or 0 for no FIFO
	cache  *fdCache          // the fds earlier scans found, or nil
	allFds []int32           // every fd number pipeFds saw last
}

// file returns path's contents, valid until the next call.
func (r *procReader) file(path string) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return r.readAll(fd)
}

// fileAt is file for the NUL-terminated name in the directory dirfd,
// with no allocation for the name.
func (r *procReader) fileAt(dirfd int, name []byte) ([]byte, error) {
	fd, err := openat(dirfd, name, unix.O_RDONLY|unix.O_CLOEXEC)
	if err != nil {
		return nil, err
	}
	return r.readAll(fd)
}

// readAll reads fd to its end and closes it.
func (r *procReader) readAll(fd int) ([]byte, error) {
	defer unix.Close(fd)
	if r.buf == nil {
		// A stat line or an fdinfo fits; a long cmdline grows the buffer
		// once per scan, not once per file.
		r.buf = make([]byte, 512)
	}
	n := 0
	for {
		if n == len(r.buf) {
			r.buf = append(r.buf, make([]byte, len(r.buf))...)
		}
		m, err := unix.Read(fd, r.buf[n:])
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return nil, err
		case m == 0:
			return r.buf[:n], nil
		}
		n += m
	}
}
