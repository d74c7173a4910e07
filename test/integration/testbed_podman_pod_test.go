package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestTestbedPodmanRewrite: `podman stop` sends SIGTERM to tinit, which
// TINIT_REWRITE=TERM:QUIT, in the container's environment, turns into the
// SIGQUIT a program such as nginx takes for a graceful stop; the test's
// status is its own, 3, not 143.
func TestTestbedPodmanRewrite(t *testing.T) {
	p := newPodman(t)
	bin, _ := tinitCopy(t)
	prefix := fmt.Sprintf("tinit-test-%d-rewrite-", os.Getpid())
	for _, m := range podmanModes {
		t.Run(m.name, func(t *testing.T) {
			name := prefix + m.name
			remove := func() { runCmd(t, time.Minute, p.cmd("rm", "--force", "--ignore", name)) }
			remove()
			t.Cleanup(remove)
			argv := append([]string{"run", "--detach", "--name", name, "--network=none", "-e", "TINIT_REWRITE=TERM:QUIT"},
				m.args(p.image, bin)...)
			p.must(t, 2*time.Minute, append(argv, "sh", "-c",
				`trap 'echo got QUIT; exit 3' QUIT; trap 'echo got TERM; exit 4' TERM; echo started; while :; do sleep 1 & wait $!; done`)...)
			waitFor(t, time.Minute, "the test's first line", func() bool {
				return strings.Contains(p.must(t, time.Minute, "logs", name), "started")
			})
			const stopTimeout = 60
			start := time.Now()
			p.must(t, 2*time.Minute, "stop", "--time", fmt.Sprint(stopTimeout), name)
			if el := time.Since(start); el > stopTimeout/2*time.Second {
				t.Errorf("podman stop took %v: the rewritten SIGTERM did not end the container", el)
			}
			if got := p.must(t, time.Minute, "wait", name); got != "3\n" {
				t.Errorf("podman wait: %q, want %q", got, "3\n")
			}
			if logs := runCmd(t, time.Minute, p.cmd("logs", name)); logs.Stdout != "started\ngot QUIT\n" || logs.Stderr != "" {
				t.Errorf("podman logs: stdout %q stderr %q, want %q and nothing", logs.Stdout, logs.Stderr, "started\ngot QUIT\n")
			}
		})
	}
}

// pauseContainerfile is podman's own recipe for its pause image (which it
// builds around catatonit), with tinit, and -v so that its log says how
// the pause ended even when nothing is left.
const pauseContainerfile = "FROM scratch\nCOPY tinit /tinit\nENTRYPOINT [\"/tinit\", \"-P\", \"-v\"]\n"

// TestTestbedPodmanPod runs tinit -P as a pod's infra container, in the two
// ways podman 4.3 allows: an infra image of podman's pause recipe (the
// --infra-command of podman 4.3 replaces the entrypoint with one word and
// takes no arguments, so -P cannot be given there), and tinit as the
// catatonit that podman builds its own pause image from. With the pod's
// pid namespace shared, orphans of an app container are tinit's: tinit
// ps shows them, and `podman pod stop` ends the infra with status 0,
// after tinit has ended what is left of them.
func TestTestbedPodmanPod(t *testing.T) {
	p := newPodman(t)
	bin, sum := tinitCopy(t)
	prefix := fmt.Sprintf("tinit-test-%d-pod-", os.Getpid())

	t.Run("infra-image", func(t *testing.T) {
		ctx := t.TempDir()
		copyFile(t, bin, filepath.Join(ctx, "tinit"))
		if err := os.WriteFile(filepath.Join(ctx, "Containerfile"), []byte(pauseContainerfile), 0o644); err != nil {
			t.Fatal(err)
		}
		image := "localhost/tinit-test-pause:" + sum[:12]
		p.must(t, 2*time.Minute, "build", "--quiet", "--tag", image, ctx)
		t.Cleanup(func() { runCmd(t, time.Minute, p.cmd("rmi", "--force", image)) })
		pod, app := prefix+"infra-image", prefix+"infra-image-app"
		infra := startPod(t, p, pod, "--infra-image", image)
		p.must(t, 2*time.Minute, "run", "--detach", "--pod", pod, "--name", app, p.image, "sh", "-c",
			`(exec sleep 1000 </dev/null >/dev/null 2>&1 &); (trap '' TERM; exec sleep 1001 </dev/null >/dev/null 2>&1 &)
echo started; while :; do sleep 1 & wait $!; done`)
		var ps string
		waitFor(t, time.Minute, "tinit to adopt both sleeps", func() bool {
			ps = p.must(t, time.Minute, "exec", infra, "/tinit", "ps")
			return strings.HasSuffix(ps, "paused (-P): no command, no output pipe; 2 orphans adopted\n")
		})
		if !regexp.MustCompile(`^1 \[(sleeping|running), `).MatchString(ps) || !strings.Contains(ps, "] sleep 1000  <- orphan\n") ||
			!strings.Contains(ps, "] sleep 1001  <- orphan\n") {
			t.Errorf("tinit ps in the infra container:\n%s", ps)
		}
		stopPod(t, p, pod, infra)
		logs := runCmd(t, time.Minute, p.cmd("logs", infra))
		// The orphans are in the app container's cgroup: podman's stop of
		// the app may have killed them before the infra's turn comes, or
		// not, and the app's sh may leave its last sleep 1 behind too.
		if !regexp.MustCompile(`^tinit: pausing: reaping orphans until SIGTERM or SIGINT\n(tinit: reaped orphan .*\n)*`+
			`tinit: SIGTERM ended the pause(; nothing is left|; \d+ process(es are| is) left; ending (them|it):)\n`).MatchString(logs.Stderr) ||
			!strings.HasSuffix(logs.Stderr, "tinit: exiting with status 0\n") || logs.Stdout != "" {
			t.Errorf("infra's logs: stdout %q stderr:\n%s", logs.Stdout, logs.Stderr)
		}
	})

	t.Run("helper-binaries-dir", func(t *testing.T) {
		// A storage of this test's own: the pause image podman builds
		// here is named for podman's version alone, and must not stand
		// in for the real one anywhere else.
		own := *p
		dir := t.TempDir()
		helpers := filepath.Join(dir, "helpers")
		if err := os.Mkdir(helpers, 0o755); err != nil {
			t.Fatal(err)
		}
		copyFile(t, bin, filepath.Join(helpers, "catatonit"))
		own.conf = filepath.Join(dir, "containers.conf")
		conf := strings.Replace(podmanConf, "[engine]\n", "[engine]\nhelper_binaries_dir = [\""+helpers+
			"\", \"/usr/local/libexec/podman\", \"/usr/local/lib/podman\", \"/usr/libexec/podman\", \"/usr/lib/podman\"]\n", 1)
		if err := os.WriteFile(own.conf, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		run := filepath.Join("/run", fmt.Sprintf("tinit-test-pod-%d", os.Getpid()))
		t.Cleanup(func() { os.RemoveAll(run) })
		own.globals = []string{"--root", filepath.Join(dir, "storage"), "--runroot", filepath.Join(run, "storage"),
			"--tmpdir", filepath.Join(run, "libpod"), "--storage-driver", "vfs"}
		t.Cleanup(func() { runCmd(t, 2*time.Minute, own.cmd("system", "reset", "--force")) })
		pod := prefix + "helper"
		infra := startPod(t, &own, pod)
		if ps := own.must(t, time.Minute, "exec", infra, "/catatonit", "ps"); !regexp.MustCompile(`^1 \[(sleeping|running), `).MatchString(ps) ||
			!strings.Contains(ps, "] /catatonit -P\n") || !strings.HasSuffix(ps, "\npaused (-P): no command, no output pipe; nothing adopted\n") {
			t.Errorf("tinit ps as podman's catatonit:\n%s", ps)
		}
		stopPod(t, &own, pod, infra)
	})

	checkUnchanged(t, bin, sum)
}

// startPod creates and starts a pod that shares its pid namespace, and
// returns its infra container's id.
func startPod(t *testing.T, p *podman, pod string, opts ...string) string {
	t.Helper()
	remove := func() { runCmd(t, time.Minute, p.cmd("pod", "rm", "--force", "--ignore", pod)) }
	remove()
	t.Cleanup(remove)
	p.must(t, 2*time.Minute, append([]string{"pod", "create", "--name", pod, "--network", "none", "--share", "pid,ipc,uts"}, opts...)...)
	p.must(t, 2*time.Minute, "pod", "start", pod)
	return strings.TrimSpace(p.must(t, time.Minute, "pod", "inspect", pod, "--format", "{{.InfraContainerID}}"))
}

// stopPod stops the pod and expects its infra, tinit -P, to have exited
// 0 by itself, within its kill-after of 5 s and a second, not by podman's
// SIGKILL after its stop timeout of 10 s.
func stopPod(t *testing.T, p *podman, pod, infra string) {
	t.Helper()
	start := time.Now()
	p.must(t, 2*time.Minute, "pod", "stop", pod)
	if el := time.Since(start); el > 9*time.Second {
		t.Errorf("podman pod stop took %v", el)
	}
	if code := p.must(t, time.Minute, "inspect", infra, "--format", "{{.State.ExitCode}}"); code != "0\n" {
		t.Errorf("the infra container exited %q, want 0", code)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
}
