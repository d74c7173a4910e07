package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// drainCountLines counts each line of b.
func drainCountLines(b []byte) map[string]int {
	m := map[string]int{}
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		m[l]++
	}
	return m
}

// Copy files are appended to, as `tee -a` does: two tinits copying into one
// file, the child of one of them appending to it itself, and the test
// appending too, all at once: every line is there exactly once.
func TestDrainCopyFileAppends(t *testing.T) {
	const n = 300
	forCoreModes(t, func(t *testing.T, m coreMode) {
		for run := range 3 {
			path := filepath.Join(t.TempDir(), "log")
			loop := `i=0; while [ $i -lt ` + fmt.Sprint(n) + ` ]; do i=$((i+1)); echo "$1-$i"; %s done`
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for k, script := range []string{
				fmt.Sprintf(loop, `echo "C-$i" >>"$2";`),
				fmt.Sprintf(loop, ""),
			} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					argv := m.argv(t, "--stdout-file", path, "--", "sh", "-c", script, "sh", string(rune('A'+k)), path)
					r, err := runQuiet(time.Minute, argv)
					if err == nil && r.Code != 0 {
						err = fmt.Errorf("tinit exited %d: %s", r.Code, r.Stderr)
					}
					errs[k] = err
				}()
			}
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i <= n; i++ {
				fmt.Fprintf(f, "T-%d\n", i)
				if i%50 == 0 {
					time.Sleep(time.Millisecond)
				}
			}
			f.Close()
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			got := drainCountLines(drainReadFile(t, path))
			var bad []string
			for _, tag := range "ABCT" {
				for i := 1; i <= n; i++ {
					if c := got[fmt.Sprintf("%c-%d", tag, i)]; c != 1 {
						bad = append(bad, fmt.Sprintf("%c-%d x%d", tag, i, c))
					}
				}
			}
			if len(got) != 4*n || len(bad) > 0 {
				sort.Strings(bad)
				t.Fatalf("run %d: %d distinct lines, want %d; wrong: %d, first %q", run, len(got), 4*n, len(bad), bad[:min(len(bad), 10)])
			}
		}
	})
}

// `tinit --stdout-file F -- CMD >>F`: tinit's stdout and its copy are both
// appends to F, so F holds the output twice. Each chunk tinit reads is
// appended twice, as under `CMD | tee -a F >>F`; the child writes whole
// lines, far less than a read takes, so each chunk is whole lines.
func TestDrainCopyFileIsAlsoStdout(t *testing.T) {
	forCoreModes(t, func(t *testing.T, m coreMode) {
		path := filepath.Join(t.TempDir(), "log")
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		argv := m.argv(t, "--stdout-file", path, "--", "sh", "-c", `i=0; while [ $i -lt 2000 ]; do i=$((i+1)); echo $i; done`)
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stdout = f
		if r := runCmd(t, time.Minute, cmd); r.Code != 0 {
			t.Fatalf("code %d: %s", r.Code, r.Stderr)
		}
		got := drainCountLines(drainReadFile(t, path))
		for i := 1; i <= 2000; i++ {
			if c := got[fmt.Sprint(i)]; c != 2 {
				t.Fatalf("line %d is there %d times, want twice (%d distinct lines)", i, c, len(got))
			}
		}
	})
}

// A child whose writes are many lines at a time (cat of a file) must not
// tear lines in a copy file that another tinit appends to at once: each
// append of tinit's ends at a newline, whatever the child's writes were.
func TestDrainCopyFileAppendsWholeLines(t *testing.T) {
	const n = 100000
	dir := t.TempDir()
	var srcs [2]string
	for k := range srcs {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "%c %06d %s\n", 'A'+k, i, strings.Repeat("z", 60))
		}
		srcs[k] = filepath.Join(dir, fmt.Sprintf("src%d", k))
		if err := os.WriteFile(srcs[k], []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	forCoreModes(t, func(t *testing.T, m coreMode) {
		for run := range 3 {
			path := filepath.Join(t.TempDir(), "log")
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for k := range srcs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r, err := runQuiet(time.Minute, m.argv(t, "--stdout-file", path, "--", "cat", srcs[k]))
					if err == nil && (r.Code != 0 || r.Stderr != "") {
						err = fmt.Errorf("tinit exited %d: %s", r.Code, r.Stderr)
					}
					errs[k] = err
				}()
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			got := drainCountLines(drainReadFile(t, path))
			bad := 0
			for l, c := range got {
				if c != 1 || len(l) != 69 {
					bad++
				}
			}
			if len(got) != 2*n || bad > 0 {
				t.Fatalf("%s run %d: %d distinct lines, want %d; %d torn or repeated", m.name, run, len(got), 2*n, bad)
			}
		}
	})
}
