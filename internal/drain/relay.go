package drain

import (
	"errors"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// relay forwards every stream from one goroutine that never sleeps in the
// kernel: it waits in an epoll set of its own, which it puts on the Go
// runtime's poller, so waiting costs no thread. Every thread tinit may ever
// need is made before the child starts, since the child may then take
// every task a pids cgroup or RLIMIT_NPROC allows; a goroutine asleep in a
// read or a write would be one more thread to make and keep. Reads are
// from tinit's own non-blocking pipes, and writes go out without waiting
// (see sink).
type relay struct {
	streams []*Stream
	wake    int // the Finish eventfd, -1 for none
	ep      int
	// poller is ep on the runtime's poller, and conn its waits; nil
	// where the runtime refuses it, and the relay then sleeps in
	// epoll_wait on a thread of its own.
	poller *os.File
	conn   syscall.RawConn
	reg    map[int]uint32 // fds in ep and the events asked for
	evs    [8]unix.EpollEvent
	// retry: an fd could not be put in ep, so the relay looks again
	// after retryWait instead of waiting for it.
	retry bool
}

const retryWait = 10 * time.Millisecond

func newRelay(streams []*Stream, wake int) (*relay, error) {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, errors.New("epoll: " + err.Error())
	}
	r := &relay{streams: streams, wake: wake, ep: ep, reg: map[int]uint32{}}
	if unix.SetNonblock(ep, true) == nil {
		r.poller = os.NewFile(uintptr(ep), "relay")
		if r.poller.SetReadDeadline(time.Time{}) == nil {
			r.conn, _ = r.poller.SyscallConn()
		}
	}
	for _, s := range streams {
		s.fast = s.outSplice && !s.lines
		if !s.fast {
			s.sink.prepare()
		}
	}
	return r, nil
}

// run forwards until every stream is finished. A stream whose step could
// not move anything is parked until ep says its fd is ready, or its partial
// line is due: stepping it again would only cost system calls that fail.
func (r *relay) run() {
	defer r.close()
	want := map[int]uint32{}
	var looked time.Time
	for {
		progress, live := false, 0
		for _, s := range r.streams {
			if s.finished {
				continue
			}
			// Read afresh for each stream: the other's step may have
			// waited on a file, and a partial line read now must not
			// seem older than it is.
			now := time.Now()
			if s.parked && !s.due(now) {
				live++
				continue
			}
			fd := s.r
			if s.step(now) {
				progress = true
			}
			s.parked = s.waitFd >= 0
			if s.finished {
				delete(r.reg, fd) // closed, so the kernel took it out of ep
			} else {
				live++
			}
		}
		if live == 0 {
			return
		}
		// A busy relay looks at what is ready now and then, so that a
		// parked stream, or Finish, is not starved by a busy one.
		if progress && time.Since(looked) < lookEvery {
			continue
		}
		timeout := r.interest(want)
		if progress {
			timeout = 0
		}
		r.unpark(r.sleep(timeout))
		looked = time.Now()
	}
}

// lookEvery is how long a busy relay goes without asking ep what else is
// ready: each look is a system call, and a stream that moves 4 KiB at a
// time would otherwise pay one for each.
const lookEvery = 200 * time.Microsecond

// interest puts in ep what the parked streams wait for and the Finish
// eventfd, and returns how long to sleep: until the first partial line is
// due, or without a limit (-1).
func (r *relay) interest(want map[int]uint32) time.Duration {
	clear(want)
	if r.wake >= 0 {
		want[r.wake] = unix.EPOLLIN
	}
	now := time.Now()
	timeout := time.Duration(-1)
	for _, s := range r.streams {
		if s.finished {
			continue
		}
		if s.parked {
			want[s.waitFd] |= s.waitEv
		}
		if at, ok := s.lineDeadline(); ok && (timeout < 0 || at.Sub(now) < timeout) {
			timeout = max(at.Sub(now), 0)
		}
	}
	r.update(want)
	if r.retry && (timeout < 0 || timeout > retryWait) {
		timeout = retryWait
	}
	return timeout
}

// unpark lets the streams whose fds are among the first n of evs step
// again, and takes Finish's wake-up. After a failed registration every
// stream looks again.
func (r *relay) unpark(n int) {
	for _, ev := range r.evs[:n] {
		fd := int(ev.Fd)
		if fd == r.wake {
			r.finishing()
			continue
		}
		for _, s := range r.streams {
			if s.parked && s.waitFd == fd {
				s.parked = false
			}
		}
	}
	if r.retry {
		for _, s := range r.streams {
			s.parked = false
		}
	}
}

// update makes ep hold exactly want, level-triggered: an fd nobody waits
// for must leave it, or its end of file would wake the relay again and again.
func (r *relay) update(want map[int]uint32) {
	r.retry = false
	for fd, ev := range r.reg {
		if w, ok := want[fd]; !ok {
			_ = rawEpollCtl(r.ep, unix.EPOLL_CTL_DEL, fd, nil)
			delete(r.reg, fd)
		} else if w != ev {
			e := unix.EpollEvent{Events: w, Fd: int32(fd)}
			if rawEpollCtl(r.ep, unix.EPOLL_CTL_MOD, fd, &e) != nil {
				r.retry = true
			}
			r.reg[fd] = w
		}
	}
	for fd, w := range want {
		if _, ok := r.reg[fd]; ok {
			continue
		}
		e := unix.EpollEvent{Events: w, Fd: int32(fd)}
		if err := rawEpollCtl(r.ep, unix.EPOLL_CTL_ADD, fd, &e); err != nil {
			r.retry = true
			continue
		}
		r.reg[fd] = w
	}
}

// sleep waits until something in ep is ready, or timeout (-1: no limit; 0:
// only look), and returns how many of r.evs it filled.
func (r *relay) sleep(timeout time.Duration) int {
	if timeout == 0 {
		n, _ := rawReady(r.ep, r.evs[:])
		return max(n, 0)
	}
	if r.conn == nil {
		ms := -1
		if timeout > 0 {
			ms = int((timeout + time.Millisecond - 1) / time.Millisecond)
		}
		n, _ := unix.EpollWait(r.ep, r.evs[:], ms)
		return max(n, 0)
	}
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	_ = r.poller.SetReadDeadline(deadline)
	n := 0
	_ = r.conn.Read(func(uintptr) bool {
		var err error
		n, err = rawReady(r.ep, r.evs[:])
		return n > 0 || err != nil && err != unix.EINTR
	})
	return max(n, 0)
}

// finishing takes Finish's wake-up: from now on each stream takes only
// what its pipe holds now, since a holder tinit could not end may write on
// as fast as it is read.
func (r *relay) finishing() {
	var b [8]byte
	if _, err := rawRead(r.wake, b[:]); err != nil {
		return
	}
	_ = rawEpollCtl(r.ep, unix.EPOLL_CTL_DEL, r.wake, nil)
	delete(r.reg, r.wake)
	r.wake = -1
	for _, s := range r.streams {
		if !s.finished && s.left < 0 {
			s.left = s.queued()
		}
		s.parked = false
	}
}

func (r *relay) close() {
	for _, s := range r.streams {
		s.sink.close()
	}
	if r.poller != nil {
		_ = r.poller.Close()
	} else {
		_ = unix.Close(r.ep)
	}
}
