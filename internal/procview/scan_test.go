package procview

import (
	"os"
	"os/exec"
	"reflect"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// ScanOwn on the real /proc sees a child holding a pipe of ours for writing,
// by inode, with the fds it holds it on.
func TestScanFindsRealHolder(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("bash", "-c", "exec 5>&1; exec -a 'my sleep' sleep 30")
	cmd.Stdout = w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	var st unix.Stat_t
	if err := unix.Fstat(int(r.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	var h *Proc
	// The shell has to get to exec; a scan before that sees it, not sleep.
	for try := 0; try < 100 && h == nil; try++ {
		snap, err := ScanOwn()
		if err != nil {
			t.Skipf("this /proc does not show our pid namespace: %v", err)
		}
		if x := snap.Procs[cmd.Process.Pid]; x != nil && len(x.Cmdline) == 2 {
			h = x
		}
	}
	if h == nil {
		t.Fatal("the child was never found holding the pipe")
	}
	if !reflect.DeepEqual(h.Cmdline, []string{"my sleep", "30"}) || h.PPID != os.Getpid() ||
		!reflect.DeepEqual(h.Writes[st.Ino], []int{1, 5}) || h.Starttime == 0 {
		t.Fatalf("holder: %+v", h)
	}
	// A stale start time must stop a signal: the pid may name another
	// process by now.
	stale := *h
	stale.Starttime++
	if err := Signal(&stale, unix.SIGKILL); err != errGone {
		t.Fatalf("signal to a stale process: %v", err)
	}
	if err := Signal(h, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if ws := cmd.ProcessState.Sys().(syscall.WaitStatus); ws.Signal() != unix.SIGKILL {
		t.Fatalf("child ended by %v", ws.Signal())
	}
}

// BenchmarkScanFds is one round of the leak scan with 200 processes holding
// a pipe, as when a test leaks them: every stat, cmdline, fd and fdinfo.
// Run with -benchmem: the scan repeats every 50 ms while leaks remain.
func BenchmarkScanFds(b *testing.B) {
	r, w, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	var cmds []*exec.Cmd
	defer func() {
		for _, c := range cmds {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
	}()
	for i := 0; i < 200; i++ {
		c := exec.Command("sleep", "300")
		c.Stdout = w
		if err := c.Start(); err != nil {
			b.Fatal(err)
		}
		cmds = append(cmds, c)
	}
	w.Close()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Scan(true); err != nil {
			b.Skip(err)
		}
	}
}
