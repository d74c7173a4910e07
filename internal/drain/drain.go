package drain

import (
	"runtime"
	"sync"
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
	release chan struct{} // closed by Start: the forwarders may begin
}

// New makes the pipes. A stream whose tinit fd is a terminal passes through,
// so the child keeps its terminal (line discipline, job control, colours).
func New(o Options) (*Drain, error) {
	d := &Drain{done: make(chan struct{})}
	paths := [2]string{o.StdoutFile, o.StderrFile}
	for i, name := range [2]string{"stdout", "stderr"} {
		out := i + 1
		pass := o.Disabled || isTerminal(out)
		s, err := newStream(name, out, pass, paths[i], o.Log)
		if err != nil {
			d.Close()
			return nil, err
		}
		d.Streams[i] = s
	}
	if a, b := d.Streams[0].copy, d.Streams[1].copy; a != nil && b != nil && sameFile(a, b) {
		c, err := shareAppending(a, b)
		if err != nil {
			d.Close()
			return nil, err
		}
		d.Streams[0].copy, d.Streams[1].copy = c, c
	}
	return d, nil
}

// ChildFds are the fds the child gets as its stdout and stderr.
func (d *Drain) ChildFds() (stdout, stderr int) {
	return d.Streams[0].childFd(), d.Streams[1].childFd()
}

// Launch starts the forwarders, each locked to a thread of its own, before
// the child exists: once the child runs, it may take every thread a
// process limit allows, and the Go runtime dies when it cannot make one.
// They wait for Start. Start calls it if the caller did not.
func (d *Drain) Launch() {
	if d.release != nil {
		return
	}
	d.release = make(chan struct{})
	pending := make(chan struct{}, 2)
	var ready sync.WaitGroup
	n := 0
	for _, s := range d.Streams {
		if s.passthrough {
			continue
		}
		n++
		ready.Add(1)
		go func() {
			runtime.LockOSThread()
			ready.Done()
			<-d.release
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
	ready.Wait()
}

// Start closes tinit's copies of the write ends, which the child now holds,
// and lets the forwarders go. Until tinit's copies are gone the pipes could
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
}
