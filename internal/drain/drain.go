package drain

import (
	"encoding/binary"
	"errors"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Options choose how the child's output is carried.
type Options struct {
	Disabled   bool   // --no-drain: the child writes to tinit's stdout and stderr itself
	StdoutFile string // --stdout-file
	StderrFile string // --stderr-file
	Log        func(string)
}

// Drain carries the child's stdout and stderr.
type Drain struct {
	Streams [2]*Stream
	done    chan struct{}
	// wake becomes readable when the wait for end of file is given up
	// (Abandon); a forwarder polls it beside its pipe. Kept open for
	// tinit's lifetime: closing it would free its number for reuse while
	// a forwarder might still poll it.
	wake      int
	abandoned atomic.Bool
}

// New makes the pipes. A stream whose tinit fd is a terminal passes through,
// so the child keeps its terminal (line discipline, job control, colours).
func New(o Options) (*Drain, error) {
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, errors.New("eventfd: " + err.Error())
	}
	d := &Drain{done: make(chan struct{}), wake: wake}
	paths := [2]string{o.StdoutFile, o.StderrFile}
	for i, name := range [2]string{"stdout", "stderr"} {
		out := i + 1
		pass := o.Disabled || isTerminal(out)
		s, err := newStream(name, out, pass, paths[i], o.Log, wake)
		if err != nil {
			d.Close()
			return nil, err
		}
		d.Streams[i] = s
	}
	if a, b := d.Streams[0].copy, d.Streams[1].copy; a != nil && b != nil && sameFile(a, b) {
		d.Streams[1].copy = share(a, b)
	}
	return d, nil
}

// ChildFds are the fds the child gets as its stdout and stderr.
func (d *Drain) ChildFds() (stdout, stderr int) {
	return d.Streams[0].childFd(), d.Streams[1].childFd()
}

// Start closes tinit's copies of the write ends, which the child now holds,
// and starts forwarding. Until tinit's copies are gone the pipes could never
// reach end of file.
func (d *Drain) Start() {
	pending := make(chan struct{}, 2)
	n := 0
	for _, s := range d.Streams {
		s.closeWriteEnd()
		if s.passthrough {
			continue
		}
		n++
		go func() {
			s.forward()
			pending <- struct{}{}
		}()
	}
	go func() {
		for range n {
			<-pending
		}
		close(d.done)
	}()
}

// Done is closed when every drained stream has reached end of file and all
// its bytes have been written out.
func (d *Drain) Done() <-chan struct{} { return d.done }

// Abandon gives up waiting for end of file, for a pipe some process tinit
// cannot see still holds open. It never cuts a forwarder short: each one
// goes on until its pipe is empty and all it read is written out, however
// slowly tinit's output drains, and Done is closed only then. A holder's
// later writes are lost, which is why the caller abandons only a pipe that
// has stayed empty.
func (d *Drain) Abandon() {
	if d.abandoned.Swap(true) {
		return
	}
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1) // an eventfd takes a host-endian count
	_, _ = unix.Write(d.wake, one[:])
}

// Abandoned tells whether Abandon has been called.
func (d *Drain) Abandoned() bool { return d.abandoned.Load() }

// Pending tells whether bytes wait in a pipe for tinit to forward them: a
// holder cannot count as gone while they do, since the forwarder is only
// held up by a slow reader.
func (d *Drain) Pending() bool {
	for _, s := range d.Streams {
		if s.queued() > 0 {
			return true
		}
	}
	return false
}

// Inodes are the pipes' inodes, for finding who holds them.
func (d *Drain) Inodes() map[uint64]string {
	m := map[uint64]string{}
	for _, s := range d.Streams {
		if !s.passthrough {
			m[s.Inode] = s.Name
		}
	}
	return m
}

// Close releases everything when the child could not be started.
func (d *Drain) Close() {
	for _, s := range d.Streams {
		if s != nil {
			s.close()
		}
	}
	_ = unix.Close(d.wake)
}
