package integration

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCoreRewrite sends tinit signals that -r rewrites, one at a time, and
// checks what the child got: SIGTERM arrives as SIGQUIT, SIGHUP as SIGUSR2
// (given twice, spelled two ways), and SIGUSR1, rewritten to 0,
// not at all: the SIGWINCH sent after it, a higher number that the kernel
// would deliver after it, arrives alone. A signal with no rule passes
// unchanged.
func TestCoreRewrite(t *testing.T) {
	requireTool(t, "bash", "bash")
	forCoreModes(t, func(t *testing.T, m coreMode) {
		dir := t.TempDir()
		log := filepath.Join(dir, "log")
		p := startCore(t, m, nil, "-r", "TERM:QUIT", "--rewrite=10:0", "-r", "SIGHUP:usr2", "-r", "HUP:USR2", "--",
			"bash", "-c", trapScript, "trap", log, dir, "child", "HUP", "QUIT", "TERM", "USR1", "USR2", "WINCH", "INT")
		waitFor(t, 10*time.Second, "the child's traps", func() bool { return fileExists(filepath.Join(dir, "ready-child")) })
		pid := p.tinitPID(t)
		var want []string
		for _, s := range []struct {
			send syscall.Signal
			got  string // "" for nothing
		}{
			{syscall.SIGTERM, "QUIT"}, {syscall.SIGUSR1, ""}, {syscall.SIGWINCH, "WINCH"},
			{syscall.SIGHUP, "USR2"}, {syscall.SIGINT, "INT"},
		} {
			if err := syscall.Kill(pid, s.send); err != nil {
				t.Fatal(err)
			}
			if s.got == "" {
				continue
			}
			want = append(want, "child "+s.got)
			waitFor(t, 10*time.Second, s.send.String()+" to reach the child as SIG"+s.got, func() bool {
				return len(strings.Fields(readString(log))) >= 2*len(want)
			})
		}
		touch(t, filepath.Join(dir, "done"))
		r := p.wait(t, 20*time.Second)
		got := strings.Split(strings.TrimSuffix(readString(log), "\n"), "\n")
		if !slices.Equal(got, want) || r.Code != 0 || r.Stderr != "" {
			t.Fatalf("the child got\n%q\nwant\n%q\n(code %d, stderr %q)", got, want, r.Code, r.Stderr)
		}
	})
}

// TestCoreRewriteFromEnvironment: TINIT_REWRITE holds comma-separated
// rules; the child killed by the rewritten signal gives its status.
func TestCoreRewriteFromEnvironment(t *testing.T) {
	forCoreModes(t, func(t *testing.T, m coreMode) {
		dir := t.TempDir()
		p := startCore(t, m, func(c *exec.Cmd) {
			c.Env = append(c.Environ(), "TINIT_REWRITE=USR1:0, TERM:SIGHUP")
		}, "sh", "-c", `: > "$1/ready"; while :; do sleep 0.05; done`, "sh", dir)
		waitFor(t, 10*time.Second, "the child to start", func() bool { return fileExists(filepath.Join(dir, "ready")) })
		pid := p.tinitPID(t)
		for _, sig := range []syscall.Signal{syscall.SIGUSR1, syscall.SIGTERM} {
			if err := syscall.Kill(pid, sig); err != nil {
				t.Fatal(err)
			}
		}
		if r := p.wait(t, 20*time.Second); r.Code != 128+int(syscall.SIGHUP) || r.Stderr != "" {
			t.Fatalf("code %d stderr %q, want %d (SIGHUP) and nothing", r.Code, r.Stderr, 128+int(syscall.SIGHUP))
		}
	})
}
