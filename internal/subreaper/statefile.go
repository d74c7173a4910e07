package subreaper

import (
	"tinit/internal/ps"

	"golang.org/x/sys/unix"
)

// stateFile is tinit's state memfd, which `tinit ps` reads to learn the
// main child and which pipe is which stream instead of guessing them (see
// ps.TinitState). Without memfd_create tinit runs on without one: ps
// then falls back to its guesses.
type stateFile struct {
	fd      int
	streams map[uint64]string
}

func newStateFile(streams map[uint64]string, mainPID int) *stateFile {
	fd, err := unix.MemfdCreate(ps.StateName, unix.MFD_CLOEXEC)
	if err != nil {
		return nil
	}
	f := &stateFile{fd: fd, streams: streams}
	f.setMain(mainPID)
	return f
}

// setMain records the running main child, or 0 once it is reaped. The
// content keeps its length, so one write at offset 0 replaces it.
func (f *stateFile) setMain(pid int) {
	if f == nil {
		return
	}
	_, _ = unix.Pwrite(f.fd, ps.EncodeState(pid, f.streams), 0)
}

// newPauseStateFile is the state of a pause (-P), written once: there is
// no main child and no pipe to name.
func newPauseStateFile() *stateFile {
	fd, err := unix.MemfdCreate(ps.StateName, unix.MFD_CLOEXEC)
	if err != nil {
		return nil
	}
	_, _ = unix.Pwrite(fd, ps.EncodePause(), 0)
	return &stateFile{fd: fd}
}
