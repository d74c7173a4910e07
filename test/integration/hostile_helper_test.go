package integration

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"tinit/internal/procview"
)

// hostileBin is the misbehaving test program of testdata/hostile, built once
// next to tinitBin (so TestMain's cleanup removes it).
var (
	hostileOnce sync.Once
	hostileBin  string
	hostileErr  error
)

func hostile(t testing.TB) string {
	t.Helper()
	hostileOnce.Do(func() {
		hostileBin = filepath.Join(filepath.Dir(tinitBin), "hostile")
		cmd := exec.Command("go", "build", "-o", hostileBin, "./test/integration/testdata/hostile")
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			hostileErr = err
			t.Logf("%s", b)
		}
	})
	if hostileErr != nil {
		t.Fatalf("building the hostile helper: %v", hostileErr)
	}
	return hostileBin
}

// buildC compiles the C program src with gcc into a temporary directory
// and returns the path of the program, named name.
func buildC(t testing.TB, name, src string, flags ...string) string {
	t.Helper()
	gcc := requireTool(t, "gcc", "gcc")
	dir := t.TempDir()
	c, bin := filepath.Join(dir, name+".c"), filepath.Join(dir, name)
	if err := os.WriteFile(c, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{"-O"}, flags...), "-o", bin, c)
	if b, err := exec.Command(gcc, args...).CombinedOutput(); err != nil {
		t.Fatalf("gcc %s: %v\n%s", name, err, b)
	}
	return bin
}

// withEnv runs argv with extra environment variables.
func withEnv(argv []string, env ...string) *exec.Cmd {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// nsArgv is the command line that starts tinit with args as pid 1.
func nsArgv(t testing.TB, args ...string) []string {
	return append(append(nsPrefix(t), tinitBin), args...)
}

// newMark is a unique argv[0] for the processes one test leaks, so
// survivors can be told apart from everything else on the machine.
func newMark(t testing.TB) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	m := "hostile-" + hex.EncodeToString(b)
	t.Cleanup(func() { killMarked(m) })
	return m
}

// marked lists the live processes whose argv[0] is mark (zombies have no
// command line and are not listed: they hold nothing).
func marked(mark string) []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && bytes.HasPrefix(b, []byte(mark+"\x00")) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// killMarked ends, by pid, what a failed test left behind.
func killMarked(mark string) {
	for _, pid := range marked(mark) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// report is the part of tinit's --report the hostile tests check.
type report struct {
	ExitStatus int   `json:"exit_status"`
	MainMs     int64 `json:"main_ms"`
	DrainMs    int64 `json:"drain_ms"`
	TotalMs    int64 `json:"total_ms"`
	Leaked     []struct {
		PID     int      `json:"pid"`
		Cmdline []string `json:"cmdline"`
		Signal  *string  `json:"signal"`
	} `json:"leaked"`
}

func readReport(t testing.TB, path string) report {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the report: %v", err)
	}
	var r report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, b)
	}
	return r
}

// afterMain is how long tinit ran after its main child exited, by its own
// clock: the figure the promise "exits within grace + kill-after + 1 s" is
// about, free of the time unshare and the process start take.
func (r report) afterMain() time.Duration {
	return time.Duration(r.TotalMs-r.MainMs) * time.Millisecond
}

// cpuTicks is utime+stime of pid, in clock ticks.
func cpuTicks(t testing.TB, pid int) int {
	t.Helper()
	st, err := procview.Stat(pid)
	if err != nil {
		t.Fatalf("reading stat of %d: %v", pid, err)
	}
	return int(st.UTime + st.STime)
}

// childOf waits for pid's first child to appear and returns it: unshare
// --fork starts tinit as its child.
func childOf(t testing.TB, pid int) int {
	t.Helper()
	path := "/proc/" + strconv.Itoa(pid) + "/task/" + strconv.Itoa(pid) + "/children"
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		b, _ := os.ReadFile(path)
		if f := strings.Fields(string(b)); len(f) > 0 {
			n, _ := strconv.Atoi(f[0])
			return n
		}
	}
	t.Fatalf("pid %d started no child", pid)
	return 0
}
