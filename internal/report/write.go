package report

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"tinit/internal/quietio"

	"golang.org/x/sys/unix"
)

// Write writes r to path. A regular file (or none yet) is replaced
// whole or not at all, by a rename in the directory the file really is in,
// so a symlink to it stays a symlink. Anything else is written into as it
// is: a FIFO, a terminal, /dev/stdout, /dev/fd/N. path must be absolute:
// tinit has left the caller's working directory by the time it writes.
func Write(path string, r *Run) error {
	if fd, ok := fdOf(path); ok {
		// /dev/stdout is tinit's stdout, at its offset: a file that holds
		// the child's output too keeps it, the report after it. Only an fd
		// the caller passed counts: every fd tinit opens is close-on-exec,
		// and every fd it was given is not, or exec would have closed it.
		if !inherited(fd) {
			return &fs.PathError{Op: "write", Path: path, Err: unix.EBADF}
		}
		if err := quietio.WriteQuiet(fd, r.JSON()); err != nil {
			return &fs.PathError{Op: "write", Path: path, Err: err}
		}
		return nil
	}
	st, err := os.Stat(path)
	switch {
	case err == nil && !st.Mode().IsRegular():
		return writeInto(path, r.JSON())
	case err == nil:
		real, rerr := filepath.EvalSymlinks(path)
		if rerr != nil || strings.HasPrefix(real, "/proc/") {
			// Another process's fd: the file it has open, whatever name
			// that has now.
			return writeInto(path, r.JSON())
		}
		return replaceFile(real, st, r.JSON())
	case errors.Is(err, fs.ErrNotExist):
		if lst, lerr := os.Lstat(path); lerr == nil && lst.Mode()&fs.ModeSymlink != 0 {
			// A symlink to a file yet to be made: make it where it points.
			return writeInto(path, r.JSON())
		}
		return replaceFile(path, nil, r.JSON())
	}
	return err
}

// inherited tells whether fd is open and was passed to tinit by its caller.
func inherited(fd int) bool {
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	return err == nil && flags&unix.FD_CLOEXEC == 0
}

// fdOf tells whether path names one of tinit's own fds (/dev/stdout,
// /dev/fd/N, /proc/self/fd/N, or a symlink to one of them), and which.
// Opening such a path would make a new open file at offset 0, and
// truncating it would wipe what the child wrote there.
func fdOf(path string) (int, bool) {
	p := filepath.Clean(path)
	self := "/proc/" + strconv.Itoa(os.Getpid()) + "/fd/"
	for range 40 {
		switch p {
		case "/dev/stdin":
			return 0, true
		case "/dev/stdout":
			return 1, true
		case "/dev/stderr":
			return 2, true
		}
		for _, dir := range []string{"/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/", self} {
			if n, ok := strings.CutPrefix(p, dir); ok {
				fd, err := strconv.Atoi(n)
				return fd, err == nil && fd >= 0
			}
		}
		t, err := os.Readlink(p)
		if err != nil {
			return 0, false
		}
		if !filepath.IsAbs(t) {
			t = filepath.Join(filepath.Dir(p), t)
		}
		p = filepath.Clean(t)
	}
	return 0, false
}

// writeInto opens path as it is and writes b to it; a FIFO that nobody
// opens for reading is an error, not a hang (see quietio.OpenNoHang).
func writeInto(path string, b []byte) error {
	fd, err := quietio.OpenNoHang(path, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC|unix.O_NOCTTY)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := quietio.WriteQuiet(fd, b); err != nil {
		return &fs.PathError{Op: "write", Path: path, Err: err}
	}
	return nil
}

// replaceFile writes b to a new file beside path and renames it over path.
// old is the file there now, whose mode the new one keeps; nil for none,
// which leaves the new file's mode to the umask. When path exists but cannot be replaced, b is written into it instead
// (see writeOver): a file bind-mounted on its own, where a rename onto the
// mount point fails with EBUSY, or a file tinit may write in a directory it
// may not.
func replaceFile(path string, old fs.FileInfo, b []byte) error {
	dir, name := filepath.Split(path)
	var fd int
	var tmp string
	err := error(unix.EEXIST)
	for i := 0; err == unix.EEXIST && i < 100; i++ {
		tmp = dir + "." + name + ".tinit-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano()%1e9, 10)
		fd, err = unix.Open(tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o644)
	}
	if err != nil {
		if old != nil {
			return writeOver(path, b)
		}
		// Name the report, not the temporary file beside it.
		return &fs.PathError{Op: "create", Path: path, Err: err}
	}
	op := "write"
	if old != nil {
		err = unix.Fchmod(fd, uint32(old.Mode().Perm()))
	}
	if err == nil {
		err = quietio.WriteQuiet(fd, b)
	}
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	if err == nil {
		op = "rename"
		err = unix.Rename(tmp, path)
	}
	if err != nil {
		_ = unix.Unlink(tmp)
		if op == "rename" && old != nil {
			return writeOver(path, b)
		}
		return &fs.PathError{Op: op, Path: path, Err: err}
	}
	return nil
}

// writeOver writes b into the regular file at path, which tinit could not
// replace: it truncates the file, writes b and syncs it. A reader meanwhile,
// or after tinit was killed midway, finds the file empty or holding the
// first part of the new report, never the old one's tail after the new
// one's head; a whole report ends in a newline.
func writeOver(path string, b []byte) error {
	fd, err := quietio.OpenNoHang(path, unix.O_WRONLY|unix.O_TRUNC|unix.O_CLOEXEC|unix.O_NOCTTY)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := quietio.WriteQuiet(fd, b); err != nil {
		return &fs.PathError{Op: "write", Path: path, Err: err}
	}
	if err := unix.Fsync(fd); err != nil && err != unix.EINVAL {
		return &fs.PathError{Op: "fsync", Path: path, Err: err}
	}
	return nil
}
