package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tinitBin is the binary under test, built once by TestMain with
// scripts/build-static.sh, so the tests run exactly what is shipped.
var tinitBin string

// repoRoot is the top of the source tree.
var repoRoot string

func TestMain(m *testing.M) {
	startWithDefaultSignals()
	dir, err := os.MkdirTemp("", "tinit-it-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	_, file, _, _ := runtime.Caller(0)
	repoRoot = filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	tinitBin, err = buildShipped(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildShipped builds the host's release binary into dir and returns its
// path. Reproducible builds leave no version to the clock or the tree.
func buildShipped(dir string) (string, error) {
	arch := debArchOf(runtime.GOARCH)
	if arch == "" {
		return "", fmt.Errorf("no Debian architecture for GOARCH=%s", runtime.GOARCH)
	}
	cmd := exec.Command("bash", filepath.Join(repoRoot, "scripts", "build-static.sh"),
		"--arch", arch, "--out-dir", dir)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building tinit: %v\n%s", err, b)
	}
	// Named tinit, as installed: tinit ps knows tinit by its command name.
	bin := filepath.Join(dir, "tinit")
	return bin, os.Rename(filepath.Join(dir, "tinit-"+arch), bin)
}

// result is one finished run.
type result struct {
	Stdout, Stderr string
	Code           int // exit code, or 128+N for death by signal N
	Elapsed        time.Duration
}

// run starts argv with no stdin and waits at most timeout for it.
func run(t testing.TB, timeout time.Duration, argv ...string) result {
	t.Helper()
	return runCmd(t, timeout, exec.Command(argv[0], argv[1:]...))
}

func runCmd(t testing.TB, timeout time.Duration, cmd *exec.Cmd) result {
	t.Helper()
	var out, errb bytes.Buffer
	if cmd.Stdout == nil {
		cmd.Stdout = &out
	}
	if cmd.Stderr == nil {
		cmd.Stderr = &errb
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %v: %v", cmd.Args, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(timeout):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		t.Fatalf("%v did not finish within %v\nstdout:\n%s\nstderr:\n%s", cmd.Args, timeout, out.String(), errb.String())
	}
	r := result{Stdout: out.String(), Stderr: errb.String(), Elapsed: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		ws := ee.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			r.Code = 128 + int(ws.Signal())
		} else {
			r.Code = ws.ExitStatus()
		}
	default:
		t.Fatalf("running %v: %v", cmd.Args, err)
	}
	return r
}

// nsPrefix is how to start a command as pid 1 of a new pid namespace with
// its own /proc: as root directly, otherwise inside a new user namespace.
func nsPrefix(t testing.TB) []string {
	t.Helper()
	p := []string{"unshare", "--pid", "--fork", "--mount-proc"}
	if os.Geteuid() != 0 {
		p = append([]string{"unshare", "--user", "--map-root-user"}, p[1:]...)
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		skipOrFail(t, "unshare (util-linux) is not installed")
	}
	nsOnce.Do(func() {
		probe := exec.Command(p[0], append(p[1:], "true")...)
		nsErr = probe.Run()
	})
	if nsErr != nil {
		t.Skipf("cannot make a pid namespace here (%v): neither as root nor with --user --map-root-user", nsErr)
	}
	return p
}

// inNS runs tinit with args as pid 1 of a new pid namespace.
func inNS(t testing.TB, timeout time.Duration, args ...string) result {
	t.Helper()
	argv := append(nsPrefix(t), tinitBin)
	return run(t, timeout, append(argv, args...)...)
}

// plain runs tinit with args as an ordinary process, a child subreaper.
func plain(t testing.TB, timeout time.Duration, args ...string) result {
	t.Helper()
	return run(t, timeout, append([]string{tinitBin}, args...)...)
}

// skipOrFail skips a test that needs something this machine lacks, unless
// TINIT_REQUIRE_TOOLS=1 says nothing may be skipped (CI).
func skipOrFail(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("TINIT_REQUIRE_TOOLS") == "1" {
		t.Fatalf("%s (TINIT_REQUIRE_TOOLS=1: nothing may be skipped)", why)
	}
	t.Skip(why)
}

// requireTool skips (or fails in CI) when name is not on PATH.
func requireTool(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		skipOrFail(t, fmt.Sprintf("%s is not installed (apt-get install %s)", name, pkg))
	}
	return p
}

// sh quotes words for a shell command line.
func sh(words ...string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// withTimeout is a context for helpers that run several commands.
func withTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
