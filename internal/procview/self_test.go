package procview

import (
	"os"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// The self queries agree with what the kernel says through system calls.
func TestSelfQueries(t *testing.T) {
	tids, err := Threads()
	if err != nil || !slices.Contains(tids, unix.Gettid()) || !slices.Contains(tids, os.Getpid()) {
		t.Fatalf("Threads() = %v, %v; want this thread %d and the main one %d", tids, err, unix.Gettid(), os.Getpid())
	}
	used, self := UserTasks(os.Getuid())
	if self < len(tids) || used < self {
		t.Fatalf("UserTasks = %d, %d with %d threads here", used, self, len(tids))
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		t.Fatal(err)
	}
	want := uint64(data[1].Effective)<<32 | uint64(data[0].Effective)
	if got, err := OwnCapEff(); err != nil || got != want {
		t.Fatalf("OwnCapEff() = %x, %v; capget says %x", got, err, want)
	}
	if _, err := OwnSigIgn(); err != nil {
		t.Fatal(err)
	}
}
