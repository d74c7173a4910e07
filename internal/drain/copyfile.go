package drain

import (
	"errors"
	"os"
	"sync/atomic"

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
}

func openCopyFile(path string) (*copyFile, error) {
	fd, err := OpenNoHang(path, unix.O_WRONLY|unix.O_CREAT|unix.O_APPEND|unix.O_CLOEXEC|unix.O_NOCTTY)
	if err != nil {
		return nil, errors.New("copy file: " + err.Error())
	}
	c := &copyFile{f: os.NewFile(uintptr(fd), path), path: path}
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
