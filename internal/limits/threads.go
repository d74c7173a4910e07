package limits

import (
	"runtime"
	"sync"
)

// maxProcs caps the Go runtime's processors. tinit runs one loop and one
// relay, which spend their time waiting. Every processor is a thread the
// runtime may want at any moment, and each must exist before the child
// starts (see ReserveThreads), so a 64-CPU host must not mean 64 of them.
const maxProcs = 1

// blockingThreads are the threads that may sit in the kernel at once
// besides the one the processor runs on: the loop or the log writer in a
// system call, with the runtime handing the processor on meanwhile. With
// one fewer, a test that keeps a pids cgroup full crashed the runtime.
// The runtime's monitor and template threads are its own; the relay needs
// none (see drain).
const blockingThreads = 2

// signalThreads are os/signal's, which it starts at the first handler and
// holds for good: the thread its mask changes are made on, and the one its
// receiver sleeps on. ReserveThreads runs before the first handler, so
// both come out of the reserve.
const signalThreads = 2

// ReserveThreads makes the Go runtime create, now, every thread it can
// need later, and leaves them idle: the runtime keeps idle threads and
// reuses them, and never gives one back. Once the child runs it may
// exhaust RLIMIT_NPROC or a pids cgroup, which count threads too, and the
// runtime ends the process ("fatal error: newosproc") when it fails to
// make a thread it wants. Each goroutine locked to its thread at the same
// time holds a distinct one, and the caller holds one more.
//
// It must run before os/signal starts. Each handler os/signal installs is
// a round trip between two threads, and the runtime makes a new thread
// whenever it hands over to an idle one and finds none yet back: run
// beside the reservation, that made 9, 10 or 11 threads where 8 do.
func ReserveThreads() {
	n := maxProcs + blockingThreads + signalThreads
	var ready sync.WaitGroup
	release := make(chan struct{})
	done := make(chan struct{}, n)
	ready.Add(n)
	for range n {
		go func() {
			runtime.LockOSThread()
			ready.Done()
			<-release
			runtime.UnlockOSThread()
			done <- struct{}{}
		}()
	}
	ready.Wait()
	close(release)
	for range n {
		<-done
	}
}

// oneProcessor caps the runtime's processors as early as tinit can: each
// processor the runtime starts with may wake a thread of its own while
// the packages initialize, and a thread once made is never given back.
func oneProcessor() {
	runtime.GOMAXPROCS(maxProcs)
}
