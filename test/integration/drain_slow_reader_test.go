package integration

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// slowReaderCase is one slow-reader run: the child writes size bytes and
// exits, and tinit's stdout is not read until grace and kill-after have
// both passed.
type slowReaderCase struct {
	size             int
	grace, killAfter time.Duration
}

func slowReaderCases(runs int) []slowReaderCase {
	sizes := []int{1100000, 1500000, 1900000}
	times := [][2]time.Duration{
		{100 * time.Millisecond, 100 * time.Millisecond},
		{200 * time.Millisecond, 200 * time.Millisecond},
		{100 * time.Millisecond, 2 * time.Second},
		{2 * time.Second, 100 * time.Millisecond},
		{500 * time.Millisecond, 300 * time.Millisecond},
	}
	var cs []slowReaderCase
	for i := range runs {
		g := times[i%len(times)]
		cs = append(cs, slowReaderCase{size: sizes[i%len(sizes)], grace: g[0], killAfter: g[1]})
	}
	return cs
}

// slowRead starts cmd with its stdout on a pipe, leaves the pipe unread for
// stall, then reads it at about 1.3 MB/s until end of file.
func slowRead(cmd *exec.Cmd, stall time.Duration) (got []byte, code int, stderr string, err error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, 0, "", err
	}
	defer pr.Close()
	var errb lockedBuffer
	cmd.Stdout, cmd.Stderr = pw, &errb
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		pw.Close()
		return nil, 0, "", err
	}
	pw.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	time.Sleep(stall) // the slowness under test, not a synchronisation
	var out bytes.Buffer
	buf := make([]byte, 64<<10)
	deadline := time.Now().Add(60 * time.Second)
	for {
		n, rerr := pr.Read(buf)
		out.Write(buf[:n])
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return nil, 0, "", rerr
		}
		if time.Now().After(deadline) {
			killTree(cmd.Process.Pid)
			return nil, 0, "", fmt.Errorf("still reading after 60 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case werr := <-done:
		code = 0
		if ee, ok := werr.(*exec.ExitError); ok {
			code = exitCodeOf(ee.Sys().(syscall.WaitStatus))
		}
	case <-time.After(30 * time.Second):
		killTree(cmd.Process.Pid)
		return nil, 0, "", fmt.Errorf("tinit did not exit 30 s after its output closed")
	}
	return out.Bytes(), code, errb.String(), nil
}

// A reader that reads nothing until grace and kill-after have passed, then
// reads slowly: everything the child wrote (more than tinit's own pipe
// holds, less than it and the reader's pipe hold together) still arrives.
// The child has exited and no process holds the pipe, but the bytes are
// still in it, so tinit must not give up on it.
func TestDrainSlowReaderGetsEverything(t *testing.T) {
	forCoreModes(t, func(t *testing.T, m coreMode) {
		cs := slowReaderCases(20)
		fails := make([]string, len(cs))
		parallelRuns(len(cs), func(i int) {
			c := cs[i]
			argv := m.argv(t, "--grace", c.grace.String(), "--kill-after", c.killAfter.String(), "--",
				"sh", "-c", "head -c "+strconv.Itoa(c.size)+" /dev/zero; exit 3")
			got, code, stderr, err := slowRead(exec.Command(argv[0], argv[1:]...), c.grace+c.killAfter+500*time.Millisecond)
			switch {
			case err != nil:
				fails[i] = err.Error()
			case code != 3 || len(got) != c.size || bytes.IndexFunc(got, func(r rune) bool { return r != 0 }) >= 0:
				fails[i] = fmt.Sprintf("code %d, %d of %d bytes; stderr %q", code, len(got), c.size, stderr)
			}
		})
		for i, f := range fails {
			if f != "" {
				c := cs[i]
				t.Errorf("run %d (%d bytes, grace %v, kill-after %v): %s", i, c.size, c.grace, c.killAfter, f)
			}
		}
	})
}

// The tail a holder writes through fds it received over a unix socket
// (SCM_RIGHTS) reaches a slow reader whole: the child exits at once, the
// grandchild writes 1.5 MB and exits, and nothing is read until grace and
// kill-after have passed.
func TestDrainSlowReaderGetsPassedFdTail(t *testing.T) {
	const size = 1500000
	forCoreModes(t, func(t *testing.T, m coreMode) {
		fails := make([]string, 10)
		parallelRuns(len(fails), func(i int) {
			argv := m.argv(t, "--grace", "100ms", "--kill-after", "200ms", "--", hostile(t))
			cmd := withEnv(argv, "HOSTILE_MODE=passfd", "HOSTILE_HOLD=0", "HOSTILE_BYTES="+strconv.Itoa(size))
			got, code, stderr, err := slowRead(cmd, 800*time.Millisecond)
			want := "from child\n" + "from grandchild\n" + string(bytes.Repeat([]byte{'y'}, size))
			switch {
			case err != nil:
				fails[i] = err.Error()
			case code != 7 || string(got) != want:
				fails[i] = fmt.Sprintf("code %d, %d of %d bytes; stderr %q", code, len(got), len(want), stderr)
			}
		})
		for i, f := range fails {
			if f != "" {
				t.Errorf("run %d: %s", i, f)
			}
		}
	})
}
