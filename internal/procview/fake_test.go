package procview

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/prometheus/procfs"
	"golang.org/x/sys/unix"
)

// fakeProc points procRoot at a tree of files for the test's length, and
// returns a scanner on it. A body that starts with "->" makes a symlink to
// the rest, as /proc/PID/fd/N is.
func fakeProc(t *testing.T, files map[string]string) *scanner {
	t.Helper()
	root := t.TempDir()
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		if target, ok := strings.CutPrefix(body, "->"); ok {
			err = os.Symlink(target, p)
		} else {
			err = os.WriteFile(p, []byte(body), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	old := procRoot
	procRoot = root
	t.Cleanup(func() { procRoot = old })
	fs, err := procfs.NewFS(root)
	if err != nil {
		t.Fatal(err)
	}
	return &scanner{fs: fs}
}

func statLine(pid, comm, state string) string {
	return pid + " (" + comm + ") " + state + " 1 7 5 34816 7 4194560 104 0 0 0 0 0 0 0 20 0 1 0 123456 2433024 192 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
}

// The command name in stat may hold spaces, parentheses and a newline; the
// fields after it count from the last ')'. A stat cut short, broken or gone
// (the process exited) leaves the process out.
func TestProcStat(t *testing.T) {
	r := fakeProc(t, map[string]string{
		"7/stat":     statLine("7", "a) (b\n c", "S"),
		"7/cmdline":  "sleep\x00my arg\x00",
		"8/stat":     "8 (short) S 1 8 8 0\n",
		"9/stat":     "9 no parenthesis S 1 9 9\n",
		"10/cmdline": "",
	})
	h, err := r.fs.Proc(7)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := r.proc(h, true)
	want := &Proc{PID: 7, PPID: 1, Pgid: 7, Sid: 5, State: "S", Comm: "a) (b\n c", Cmdline: []string{"sleep", "my arg"},
		Starttime: 123456, threads: 1, proc: h, task: task{h, procRoot + "/7"}}
	if !ok || !reflect.DeepEqual(p, want) {
		t.Fatalf("got %+v, %v\nwant %+v", p, ok, want)
	}
	for _, pid := range []int{8, 9, 10, 11} {
		h, _ := r.fs.Proc(pid)
		h.PID = pid
		if p, ok := r.proc(h, true); ok {
			t.Errorf("pid %d: read %+v from a short, broken or missing stat", pid, p)
		}
	}
}

// Pipe fds are told by their links, their direction and O_CLOEXEC by
// fdinfo's octal flags; a FIFO by its device and inode, whatever path it
// is opened by. Links to anything else are no pipes.
func TestPipeFds(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Stat(fifo, &st); err != nil {
		t.Fatal(err)
	}
	r := fakeProc(t, map[string]string{
		"7/stat":     statLine("7", "p", "S"),
		"7/fd/0":     "->pipe:[11]",
		"7/fdinfo/0": "pos:\t0\nflags:\t02000000\nmnt_id:\t14\nino:\t11\n",
		"7/fd/1":     "->pipe:[12]",
		"7/fdinfo/1": "pos:\t0\nflags:\t02000001\n",
		"7/fd/2":     "->pipe:[12]",
		"7/fdinfo/2": "pos:\t0\nflags:\t01\n",
		"7/fd/3":     "->/dev/null",
		"7/fdinfo/3": "flags:\t02\n",
		"7/fd/4":     "->socket:[13]",
		"7/fdinfo/4": "flags:\t02\n",
		"7/fd/5":     "->" + fifo,
		"7/fdinfo/5": "flags:\t02000002\n",
		"7/fd/6":     "->pipe:[14", // cut short
		"7/fdinfo/6": "flags:\t01\n",
		"7/fd/7":     "->pipe:[15]", // closed before its fdinfo was read
	})
	h, err := r.fs.Proc(7)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := r.proc(h, false)
	if !ok {
		t.Fatal("no process 7")
	}
	w, rd := r.pipeFdsByDirection(p)
	key := fifoKey(uint64(st.Dev), st.Ino)
	if want := map[uint64][]int{12: {1, 2}, key: {5}}; !reflect.DeepEqual(w, want) {
		t.Errorf("writes %v, want %v", w, want)
	}
	if want := map[uint64][]int{11: {0}, key: {5}}; !reflect.DeepEqual(rd, want) {
		t.Errorf("reads %v, want %v", rd, want)
	}
	if want := map[uint64]bool{12: true}; !reflect.DeepEqual(p.KeptWrites, want) {
		t.Errorf("kept writes %v, want %v", p.KeptWrites, want)
	}
	if want := []int32{0, 1, 2, 3, 4, 5, 6, 7}; !reflect.DeepEqual(r.allFds, want) {
		t.Errorf("all fds %v, want %v", r.allFds, want)
	}
	if want := map[string]uint64{"/dev/null": 0, fifo: key}; !reflect.DeepEqual(r.fifos, want) {
		t.Errorf("stat'ed paths %v, want %v", r.fifos, want)
	}
}

// A zombie main thread with a live thread is a live process: its state and
// fds are the live thread's.
func TestZombieMainThreadSeenThroughLiveThread(t *testing.T) {
	r := fakeProc(t, map[string]string{
		"7/stat":            statLine("7", "mt", "Z"),
		"7/task/7/stat":     statLine("7", "mt", "Z"),
		"7/task/8/stat":     statLine("8", "mt", "X"),
		"7/task/9/stat":     statLine("9", "mt", "R"),
		"7/task/9/cmdline":  "mt\x00-x\x00",
		"7/task/9/fd/1":     "->pipe:[12]",
		"7/task/9/fdinfo/1": "flags:\t02000001\n",
	})
	h, err := r.fs.Proc(7)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := r.proc(h, true)
	if !ok {
		t.Fatal("no process 7")
	}
	w, _ := r.pipeFdsByDirection(p)
	if p.State != "R" || p.task.PID != 9 || p.task.dir != procRoot+"/7/task/9" ||
		!reflect.DeepEqual(p.Cmdline, []string{"mt", "-x"}) || !reflect.DeepEqual(w, map[uint64][]int{12: {1}}) {
		t.Fatalf("got state %s, task %d %s, cmdline %q, writes %v", p.State, p.task.PID, p.task.dir, p.Cmdline, w)
	}
}
