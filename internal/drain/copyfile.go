package drain

import (
	"errors"
	"io"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// copyFile is a --stdout-file or --stderr-file. It is opened without
// O_APPEND, positioned at its end, because splice(2) refuses O_APPEND
// files; only when both streams name the same file do they share one
// O_APPEND descriptor, so their bytes cannot overwrite each other, and
// copy with write(2) instead.
type copyFile struct {
	f        *os.File
	path     string
	noSplice bool
	// refs counts the streams writing f: a shared file must stay open
	// until the stream that reaches end of file last is done with it.
	refs atomic.Int32
}

func openCopyFile(path string) (*copyFile, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return nil, errors.New("copy file: " + err.Error())
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		_ = f.Close()
		return nil, errors.New("copy file " + path + ": " + err.Error())
	}
	c := &copyFile{f: f, path: path}
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

// shareAppending makes both streams write one O_APPEND descriptor.
func shareAppending(a, b *copyFile) (*copyFile, error) {
	_ = a.f.Close()
	_ = b.f.Close()
	f, err := os.OpenFile(a.path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, errors.New("copy file: " + err.Error())
	}
	c := &copyFile{f: f, path: a.path, noSplice: true}
	c.refs.Store(2)
	return c, nil
}

func (c *copyFile) fd() int { return int(c.f.Fd()) }

// release gives up one stream's use of c.
func (c *copyFile) release() {
	if c.refs.Add(-1) == 0 {
		_ = c.f.Close()
	}
}
