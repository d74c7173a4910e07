package drain

import (
	"bytes"
	"errors"
	"io"
	"os"
	"sync/atomic"
	"tinit/internal/quietio"

	"golang.org/x/sys/unix"
)

// copyFile is a --stdout-file or --stderr-file. It is opened with
// O_APPEND, as `tee -a` opens its files, so every write lands at the end of
// the file whoever else appends to it meanwhile (another tinit, the test
// itself, tinit's own stdout when it is the same file). splice(2) refuses
// O_APPEND files, so a copy is always written with write(2). Both streams
// naming one file share one descriptor.
type copyFile struct {
	f    *os.File
	path string
	// refs counts the streams writing f: a shared file must stay open
	// until the stream that reaches end of file last is done with it.
	refs atomic.Int32
	// partial tells that tinit's last append ended inside a line. The
	// streams that share f append under one lock.
	partial bool
	// regular is a regular file, the only kind whose end holds lines.
	regular bool
}

func openCopyFile(path string) (*copyFile, error) {
	fd, err := quietio.OpenNoHang(path, unix.O_WRONLY|unix.O_CREAT|unix.O_APPEND|unix.O_CLOEXEC|unix.O_NOCTTY)
	if err != nil {
		return nil, errors.New("copy file: " + err.Error())
	}
	c := &copyFile{f: os.NewFile(uintptr(fd), path), path: path}
	var st unix.Stat_t
	c.regular = unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG
	c.refs.Store(1)
	return c, nil
}

func sameFile(a, b *copyFile) bool {
	var sa, sb unix.Stat_t
	if unix.Fstat(int(a.f.Fd()), &sa) != nil || unix.Fstat(int(b.f.Fd()), &sb) != nil {
		return false
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino
}

// share makes b's stream write through a, and gives b up.
func share(a, b *copyFile) *copyFile {
	b.release()
	a.refs.Add(1)
	return a
}

func (c *copyFile) fd() int { return int(c.f.Fd()) }

// release gives up one stream's use of c.
func (c *copyFile) release() {
	if c.refs.Add(-1) == 0 {
		_ = c.f.Close()
	}
}

// append adds b, one or more whole lines or a piece of a line too long to
// wait for, to the end of the file. A file system that fills up (ENOSPC) or
// a file-size limit (EFBIG) cuts a write short, and the end of the file
// would then be a torn line that the next append, tinit's or another
// writer's, glues on to. So when b holds a newline, the file is cut back to
// the last newline that got in (or to where b began), provided nobody has
// appended after b meanwhile. A piece of a line keeps what got in, as it is
// no whole line anyway. whole tells that what tinit appended ends at a
// newline, or that it appended nothing, in a regular file.
func (c *copyFile) append(b []byte) (whole bool, err error) {
	fd := c.fd()
	write := unix.Write
	if c.regular {
		write = rawWrite // waits for the disk only: see rawsys.go
	}
	done := 0
	for done < len(b) {
		n, err := write(fd, b[done:])
		switch {
		case err == unix.EINTR:
		case err == unix.EAGAIN:
			quietio.WaitWritable(fd)
		case err != nil:
			if kept := c.cutBack(b, done); kept > 0 {
				c.partial = b[kept-1] != '\n'
			} else if kept < 0 {
				c.partial = true
			}
			return c.regular && !c.partial, err
		default:
			done += n
		}
	}
	if len(b) > 0 {
		c.partial = b[len(b)-1] != '\n'
	}
	return true, nil
}

// cutBack takes back what a failed append of b left after the last newline
// of its first done bytes, and returns how many bytes of b are left in the
// file, or -1 when a torn end could not be taken back.
func (c *copyFile) cutBack(b []byte, done int) int {
	keep := bytes.LastIndexByte(b[:done], '\n') + 1
	if done == keep || bytes.IndexByte(b, '\n') < 0 {
		return done
	}
	fd := c.fd()
	// With O_APPEND the offset is where this append ended; the file's size
	// is more if someone appended after it, whose bytes must stay.
	end, err := unix.Seek(fd, 0, io.SeekCurrent)
	var st unix.Stat_t
	if !c.regular || err != nil || unix.Fstat(fd, &st) != nil || st.Size != end ||
		unix.Ftruncate(fd, end-int64(done-keep)) != nil {
		return -1
	}
	return keep
}
