package state

import "golang.org/x/sys/unix"

// File is tinit's state memfd, which `tinit ps` reads to learn the main
// child and which pipe is which stream instead of guessing them. Without
// memfd_create tinit runs on without one (a nil *File): ps then falls back
// to its guesses.
type File struct {
	fd      int
	streams map[uint64]string
}

// New makes the memfd of a run whose pipes are streams (inode -> name).
func New(streams map[uint64]string, mainPID int) *File {
	fd, err := unix.MemfdCreate(Name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil
	}
	f := &File{fd: fd, streams: streams}
	f.SetMain(mainPID)
	return f
}

// SetMain records the running main child, or 0 once it is reaped. The
// content keeps its length, so one write at offset 0 replaces it.
func (f *File) SetMain(pid int) {
	if f == nil {
		return
	}
	_, _ = unix.Pwrite(f.fd, Encode(pid, f.streams), 0)
}

// NewPause is the state of a pause (-P), written once: there is no main
// child and no pipe to name.
func NewPause() *File {
	fd, err := unix.MemfdCreate(Name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil
	}
	_, _ = unix.Pwrite(fd, EncodePause(), 0)
	return &File{fd: fd}
}
