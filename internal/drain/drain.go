package drain

import (
	"encoding/binary"
	"errors"
	"sync/atomic"
	"tinit/internal/state"

	"golang.org/x/sys/unix"
)

// Options choose how the child's output is carried.
type Options struct {
	Disabled   bool   // --no-drain: the child writes to tinit's stdout and stderr itself
	StdoutFile string // --stdout-file
	StderrFile string // --stderr-file
	Log        func(string)
	// Out are tinit's own stdout and stderr; zero means fds 1 and 2.
	Out [2]int
}

// Drain carries the child's stdout and stderr.
type Drain struct {
	// Streams are stdout and stderr, or one stream named "stdout+stderr"
	// when both go to one destination.
	Streams []*Stream
	child   [2]int // the fds the child gets as stdout and stderr
	done    chan struct{}
	// wake becomes readable when tinit is about to exit (Finish); the
	// relay waits for it beside the pipes. Kept open for tinit's
	// lifetime: closing it would free its number for reuse while the
	// relay might still wait for it.
	wake      int
	abandoned atomic.Bool
	finished  atomic.Bool
	relay     *relay
	release   chan struct{} // closed by Start: the relay may begin
}

// New makes the pipes. A stream whose tinit fd is a terminal passes through,
// so the child keeps its terminal (line discipline, job control, colours);
// so does every stream with Disabled. A copy file for a stream that passes
// through is an error: it could only ever be empty.
//
// When tinit's stdout and stderr are one destination (one open file, or
// the same pipe, socket or file), the child gets one pipe as both, so the
// kernel keeps the order of its writes exactly, as it would with no init.
// That needs the copy files to agree: none, or one file named by both. With
// two pipes into one destination (or one shared copy file), the relay
// hands it whole lines only, so lines are never torn.
func New(o Options) (*Drain, error) {
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, errors.New("eventfd: " + err.Error())
	}
	d := &Drain{done: make(chan struct{}), wake: wake}
	out := o.Out
	if out == [2]int{} {
		out = [2]int{1, 2}
	}
	pass := [2]bool{o.Disabled || isTerminal(out[0]), o.Disabled || isTerminal(out[1])}
	paths := [2]string{o.StdoutFile, o.StderrFile}
	// Refused before either file is opened, so a refusal creates none.
	for i, path := range paths {
		if path != "" && pass[i] {
			_ = unix.Close(wake)
			return nil, noCopy(i, o.Disabled)
		}
	}
	var copies [2]*copyFile
	for i, path := range paths {
		if path == "" {
			continue
		}
		if copies[i], err = openCopyFile(path); err != nil {
			releaseCopies(copies)
			_ = unix.Close(wake)
			return nil, err
		}
	}
	sharedCopy := copies[0] != nil && copies[1] != nil && sameFile(copies[0], copies[1])
	if sharedCopy {
		copies[1] = share(copies[0], copies[1])
	}
	sharedOut := !pass[0] && !pass[1] && sameDestination(out[0], out[1])
	if sharedOut && (sharedCopy || copies[0] == nil && copies[1] == nil) {
		if sharedCopy {
			copies[0].release() // one stream, one use
		}
		s, err := makeStream(state.MergedName, out[0], false, copies[0], o.Log, wake)
		if err != nil {
			d.Close()
			return nil, err
		}
		growPipe(out[1], pipeSize)
		d.Streams = []*Stream{s}
		d.child = [2]int{s.w, s.w}
		if err := d.makeRelay(); err != nil {
			d.Close()
			return nil, err
		}
		return d, nil
	}
	for i, name := range [2]string{"stdout", "stderr"} {
		s, err := makeStream(name, out[i], pass[i], copies[i], o.Log, wake)
		copies[i] = nil // s owns it now, or it is released
		if err != nil {
			releaseCopies(copies)
			d.Close()
			return nil, err
		}
		d.Streams = append(d.Streams, s)
		d.child[i] = s.childFd()
	}
	if sharedOut || sharedCopy {
		for _, s := range d.Streams {
			s.lines = true
		}
	}
	if sharedOut {
		d.Streams[1].sink = d.Streams[0].sink
	}
	if err := d.makeRelay(); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// noCopy refuses a copy file for a stream that passes through: the child
// writes to tinit's fd itself, so no byte of it passes tinit, and a copy
// would be an empty file that looks like a quiet test. A terminal passes
// through so the child keeps its line discipline and job control; copying
// it would put tinit in the middle, as a pseudo-terminal of its own.
func noCopy(i int, disabled bool) error {
	name := [2]string{"stdout", "stderr"}[i]
	why := "tinit's " + name + " is a terminal, which the child gets itself"
	if disabled {
		why = "with --no-drain the child writes to tinit's " + name + " itself"
	}
	return errors.New("no copy of " + name + " can be made (--" + name + "-file): " + why)
}

func releaseCopies(cs [2]*copyFile) {
	for _, c := range cs {
		if c != nil {
			c.release()
		}
	}
}

// sameDestination tells whether fds a and b write to one place: the same
// open file, or the same pipe, socket or file opened twice.
func sameDestination(a, b int) bool {
	var sa, sb unix.Stat_t
	if unix.Fstat(a, &sa) != nil || unix.Fstat(b, &sb) != nil {
		return false
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino
}

// ChildFds are the fds the child gets as its stdout and stderr.
func (d *Drain) ChildFds() (stdout, stderr int) {
	return d.child[0], d.child[1]
}

// makeRelay makes the relay of the streams tinit drains.
func (d *Drain) makeRelay() error {
	var drained []*Stream
	for _, s := range d.Streams {
		if !s.passthrough {
			drained = append(drained, s)
		}
	}
	if len(drained) == 0 {
		return nil
	}
	r, err := newRelay(drained, d.wake)
	d.relay = r
	return err
}

// Launch starts the relay, which waits for Start. It needs no thread of
// its own (see relay). Start calls it if the caller did not.
func (d *Drain) Launch() {
	if d.release != nil {
		return
	}
	d.release = make(chan struct{})
	go func() {
		<-d.release
		if d.relay != nil {
			d.relay.run()
		}
		close(d.done)
	}()
}

// Start closes tinit's copies of the write ends, which the child now holds,
// and lets the relay go. Until tinit's copies are gone the pipes could
// never reach end of file.
func (d *Drain) Start() {
	d.Launch()
	for _, s := range d.Streams {
		s.closeWriteEnd()
	}
	close(d.release)
}

// Done is closed when every drained stream has reached end of file and all
// its bytes have been written out.
func (d *Drain) Done() <-chan struct{} { return d.done }

// Abandon gives up waiting for end of file, for a pipe some process tinit
// cannot see, or cannot end, still holds open. It gives up no reading: the
// relay goes on delivering whatever reaches the pipes for as long as
// tinit runs, and Finish, at its exit, takes what is in them then.
func (d *Drain) Abandon() { d.abandoned.Store(true) }

// Abandoned tells whether Abandon has been called.
func (d *Drain) Abandoned() bool { return d.abandoned.Load() }

// Finish ends the relay's abandoned pipes as tinit exits: each goes on
// until its pipe is empty and all it read is written out, however slowly
// tinit's output drains, and Done is closed only then. What a holder writes
// after that is lost, with tinit gone. A pipe at end of file is done already.
func (d *Drain) Finish() {
	if d.finished.Swap(true) {
		return
	}
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1) // an eventfd takes a host-endian count
	_, _ = unix.Write(d.wake, one[:])
}

// Pending tells whether bytes wait in a pipe for tinit to forward them: a
// holder cannot count as gone while they do, since the relay is only
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
		s.close()
	}
	if d.relay != nil {
		d.relay.close()
	}
	_ = unix.Close(d.wake)
}
