package procview

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// fakeProc points procRoot at a tree of files for the test's length.
func fakeProc(t *testing.T, files map[string]string) {
	t.Helper()
	root := t.TempDir()
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := procRoot
	procRoot = root
	t.Cleanup(func() { procRoot = old })
}

// The command name in stat may hold spaces, parentheses and a newline; the
// fields after it count from the last ')'.
func TestProcReaderStat(t *testing.T) {
	fakeProc(t, map[string]string{
		"7/stat":    "7 (a) (b\n c) S 1 7 5 34816 7 4194560 104 0 0 0 0 0 0 0 20 0 1 0 123456 2433024 192 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
		"7/cmdline": "sleep\x00my arg\x00",
		"8/stat":    "8 (short) S 1 8 8 0\n",
		"9/stat":    "9 no parenthesis S 1 9 9\n",
	})
	var r procReader
	p, ok := r.proc(7, true)
	want := &Proc{PID: 7, PPID: 1, Pgid: 7, Sid: 5, State: "S", Comm: "a) (b\n c", Cmdline: []string{"sleep", "my arg"}, Starttime: 123456, threads: 1}
	if !ok || !reflect.DeepEqual(p, want) {
		t.Fatalf("got %+v, %v\nwant %+v", p, ok, want)
	}
	for _, pid := range []int{8, 9, 10} {
		if p, ok := r.proc(pid, true); ok {
			t.Errorf("pid %d: read %+v from a short, broken or missing stat", pid, p)
		}
	}
}

// fdinfo's flags line is octal, and only a line that starts with "flags:"
// counts.
func TestProcReaderFdFlags(t *testing.T) {
	fakeProc(t, map[string]string{
		"a": "pos:\t0\nflags:\t02000001\nmnt_id:\t14\nino:\t1234\n",
		"b": "pos:\t0\nnotflags:\t1\n",
		"d": "notflags:\t1\nflags:\t01\n",
		"c": "",
	})
	var r procReader
	if n, ok := r.fdFlags(filepath.Join(procRoot, "a")); !ok || n != 0o2000001 {
		t.Errorf("a: %o %v", n, ok)
	}
	if n, ok := r.fdFlags(filepath.Join(procRoot, "d")); !ok || n != 1 {
		t.Errorf("d: %o %v", n, ok)
	}
	for _, f := range []string{"b", "c", "missing"} {
		if n, ok := r.fdFlags(filepath.Join(procRoot, f)); ok {
			t.Errorf("%s: read flags %o", f, n)
		}
	}
}

// A file larger than the buffer is read whole.
func TestProcReaderLongFile(t *testing.T) {
	long := make([]byte, 3*4096+17)
	for i := range long {
		long[i] = byte('a' + i%26)
	}
	fakeProc(t, map[string]string{"long": string(long)})
	var r procReader
	b, err := r.file(filepath.Join(procRoot, "long"))
	if err != nil || string(b) != string(long) {
		t.Fatalf("read %d bytes (%v), want %d", len(b), err, len(long))
	}
}
