package procview

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// The self queries agree with what the kernel says through system calls.
func TestSelfQueries(t *testing.T) {
	used, self := UserTasks(os.Getuid())
	if self < 1 || used < self {
		t.Fatalf("UserTasks = %d, %d", used, self)
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
