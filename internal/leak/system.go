package leak

import (
	"time"

	"golang.org/x/sys/unix"

	"tinit/internal/procview"
)

// System is what ending leaks asks of the world outside: the clock, looks
// at /proc, how much a process has written, and signals. OS is the real
// one; tests of the rules fake it, so that their rounds take no real
// processes and no real time.
type System interface {
	Now() time.Time
	// ScanOwn is procview.ScanOwn: pipe fds of what can hold the output.
	ScanOwn() (*procview.Snapshot, error)
	// Scan is procview.Scan without fds: enough to name descendants.
	Scan() (*procview.Snapshot, error)
	Written(p *procview.Proc) (n uint64, blocked bool, ok bool)
	// Signal signals exactly the process p describes (procview.Signal).
	Signal(p *procview.Proc, sig unix.Signal) error
	// Kill is kill(2), for when /proc cannot name the processes.
	Kill(pid int, sig unix.Signal) error
	// Tracer is procview.Tracer: who ptraces p, or 0.
	Tracer(p *procview.Proc) int
	// FdsHidden is procview.FdsHidden: p's fds are not tinit's to read.
	FdsHidden(p *procview.Proc) bool
}

// OS is System on the real clock, /proc and kernel.
type OS struct{}

func (OS) Now() time.Time { return time.Now() }

func (OS) ScanOwn() (*procview.Snapshot, error) { return procview.ScanOwn() }
func (OS) Scan() (*procview.Snapshot, error)    { return procview.Scan(false) }
func (OS) Written(p *procview.Proc) (uint64, bool, bool) {
	return procview.Written(p)
}
func (OS) Signal(p *procview.Proc, sig unix.Signal) error { return procview.Signal(p, sig) }
func (OS) Kill(pid int, sig unix.Signal) error            { return unix.Kill(pid, sig) }
func (OS) Tracer(p *procview.Proc) int                    { return procview.Tracer(p) }
func (OS) FdsHidden(p *procview.Proc) bool                { return procview.FdsHidden(p) }

// Log is where the leak report goes: Error always prints, Info only with
// -v. A line is its parts joined.
type Log interface {
	Error(parts ...string)
	Info(parts ...string)
}

// Output is what ending leaks needs to know of tinit's own pipes.
type Output interface {
	// Inodes are the pipes whose holders keep the output open, by inode,
	// with the stream each carries.
	Inodes() map[uint64]string
	// Pending tells whether bytes wait in a pipe for tinit to forward.
	Pending() bool
}
