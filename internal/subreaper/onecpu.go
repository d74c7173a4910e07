package subreaper

import (
	"os"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// onOneCPU runs f with all of tinit's threads on one CPU. Each signal that
// os/signal takes on costs two wake-ups between threads of the Go runtime,
// and on a virtual machine a wake-up that crosses CPUs costs tens of
// microseconds: on one CPU the sixty signals tinit listens to take half the
// time. The threads get the caller's CPUs back before f's caller goes on, so
// the child, which inherits the forking thread's, never sees the pin.
// Without /proc/self/task tinit could not find every thread to restore, so
// it runs f as it is.
func onOneCPU(f func()) {
	var all unix.CPUSet
	tids, err := threads()
	if err != nil || unix.SchedGetaffinity(0, &all) != nil || all.Count() < 2 {
		f()
		return
	}
	var one unix.CPUSet
	one.Set(pinTarget(&all))
	for _, t := range tids {
		_ = unix.SchedSetaffinity(t, &one)
	}
	f()
	// A thread started meanwhile inherited the pin from its creator. Once a
	// listing shows no thread that has not been restored, every later thread
	// descends from a restored one.
	restored := map[int]bool{}
	for {
		tids, _ = threads()
		fresh := false
		for _, t := range tids {
			if !restored[t] {
				_ = unix.SchedSetaffinity(t, &all)
				restored[t], fresh = true, true
			}
		}
		if !fresh {
			return
		}
	}
}

// pinTarget is the CPU tinit runs on now, where the scheduler found room
// for it, or else the first CPU it may use.
func pinTarget(all *unix.CPUSet) int {
	var cpu uint32
	if _, _, e := unix.RawSyscall(unix.SYS_GETCPU, uintptr(unsafe.Pointer(&cpu)), 0, 0); e == 0 && all.IsSet(int(cpu)) {
		return int(cpu)
	}
	for c := 0; ; c++ {
		if all.IsSet(c) {
			return c
		}
	}
}

// threads lists the thread ids of tinit.
func threads() ([]int, error) {
	d, err := os.Open("/proc/self/task")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	tids := make([]int, 0, len(names))
	for _, n := range names {
		if t, err := strconv.Atoi(n); err == nil {
			tids = append(tids, t)
		}
	}
	return tids, err
}
