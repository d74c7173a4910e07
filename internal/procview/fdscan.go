package procview

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"
)

// pipeFds lists the pipe fds of a process, named FIFOs included. Both ends
// of a pipe are the same inode; fdinfo's flags tell them apart. dir is
// /proc/PID, or /proc/PID/task/TID.
//
// The kernel has no call that lists only the pipes among a process's fds:
// each fd costs a getdents record and a readlink, and a process with 15,000
// fds costs tens of milliseconds. So the fd directory is read with
// getdents64 into one buffer, each link with readlinkat relative to it, and
// the fdinfo only of pipes: no path is built and nothing is allocated per
// fd.
func (r *procReader) pipeFds(dir string) ([]pipeFd, error) {
	dirfd, err := unix.Open(dir+"/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(dirfd)
	infofd := -1
	defer func() {
		if infofd >= 0 {
			unix.Close(infofd)
		}
	}()
	r.allFds = r.allFds[:0]
	if r.dents == nil {
		r.dents = make([]byte, 32<<10)
	}
	var out []pipeFd
	var name [24]byte
	for {
		n, err := unix.Getdents(dirfd, r.dents)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return out, err
		}
		if n <= 0 {
			return out, nil
		}
		for b := r.dents[:n]; len(b) >= 19; {
			// struct linux_dirent64: ino, off, then the record's length,
			// in the machine's byte order (s390x is big-endian).
			reclen := int(binary.NativeEndian.Uint16(b[16:18]))
			if reclen < 19 || reclen > len(b) {
				break
			}
			ent := b[19:reclen]
			b = b[reclen:]
			l := 0
			for l < len(ent) && ent[l] != 0 {
				l++
			}
			fd := decimal(ent[:l])
			if l == 0 || l >= len(name) || (fd == 0 && ent[0] != '0') {
				continue // "." and ".."
			}
			r.allFds = append(r.allFds, int32(fd))
			copy(name[:], ent[:l])
			name[l] = 0
			ino := r.pipeInode(dirfd, name[:l+1])
			if ino == 0 {
				continue
			}
			if infofd < 0 {
				if infofd, err = unix.Open(dir+"/fdinfo", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err != nil {
					infofd = -1
					continue
				}
			}
			if flags, ok := r.fdFlagsAt(infofd, name[:l+1]); ok {
				out = append(out, pipeFd{int(fd), ino, flags})
			}
		}
	}
}

// readlinkat and openat take a NUL-terminated name, so that no string is
// made per fd.
func readlinkat(dirfd int, name, buf []byte) (int, error) {
	n, _, e := unix.Syscall6(unix.SYS_READLINKAT, uintptr(dirfd), uintptr(unsafe.Pointer(&name[0])),
		uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

func openat(dirfd int, name []byte, flags int) (int, error) {
	fd, _, e := unix.Syscall6(unix.SYS_OPENAT, uintptr(dirfd), uintptr(unsafe.Pointer(&name[0])),
		uintptr(flags), 0, 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(fd), nil
}
