package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// podmanModes are the two ways of giving podman tinit: as its --init (bound
// at /run/podman-init and run as `/run/podman-init -- CMD`), or as the
// entrypoint from a read-only volume. Each returns the arguments between
// `podman run` options and the test command, and where tinit is inside.
var podmanModes = []struct {
	name string
	args func(image, bin string) []string
	path string
}{
	{"init-path", func(image, bin string) []string {
		return []string{"--init", "--init-path=" + bin, image}
	}, "/run/podman-init"},
	{"entrypoint", func(image, bin string) []string {
		return []string{"--entrypoint", "/tinit", "-v", bin + ":/tinit:ro", image, "--"}
	}, "/tinit"},
}

func TestTestbedPodman(t *testing.T) {
	p := newPodman(t)
	bin, sum := tinitCopy(t)
	prefix := fmt.Sprintf("tinit-test-%d-", os.Getpid())

	for _, m := range podmanModes {
		for _, ro := range []bool{false, true} {
			name := m.name
			opts := []string{"run", "--rm", "--network=none"}
			if ro {
				name += "/read-only"
				opts = append(opts, "--read-only")
			}
			t.Run(name, func(t *testing.T) {
				argv := append(append(opts, m.args(p.image, bin)...), probeArgv(m.path)...)
				r := runCmd(t, 2*time.Minute, p.cmd(argv...))
				checkProbe(t, r, m.path, sum)
			})
		}
		t.Run(m.name+"/stop", func(t *testing.T) {
			podmanStop(t, p, prefix+m.name, m.args(p.image, bin))
		})
	}

	t.Run("conf-init-path", func(t *testing.T) {
		// init_path in containers.conf makes tinit what a bare --init runs.
		withInit := *p
		withInit.conf = filepath.Join(t.TempDir(), "containers.conf")
		conf := strings.Replace(podmanConf, "[containers]\n", "[containers]\ninit_path = \""+bin+"\"\n", 1)
		if err := os.WriteFile(withInit.conf, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		argv := append([]string{"run", "--rm", "--network=none", "--init", p.image}, probeArgv("/run/podman-init")...)
		checkProbe(t, runCmd(t, 2*time.Minute, withInit.cmd(argv...)), "/run/podman-init", sum)
	})

	checkUnchanged(t, bin, sum)
	if left := p.must(t, time.Minute, "ps", "--all", "--quiet", "--filter", "name="+prefix); left != "" {
		t.Errorf("containers left behind: %s", left)
	}
}

// podmanStop starts a test that traps nothing and sleeps, stops the
// container the ordinary way (SIGTERM to pid 1, SIGKILL only after the
// timeout), and expects tinit to have forwarded the SIGTERM to the test and
// passed its death on as 143.
func podmanStop(t *testing.T, p *podman, name string, modeArgs []string) {
	t.Helper()
	remove := func() { runCmd(t, time.Minute, p.cmd("rm", "--force", "--ignore", name)) }
	remove() // a container of that name left by a killed run of the same pid
	t.Cleanup(remove)
	argv := append([]string{"run", "--detach", "--name", name, "--network=none"}, modeArgs...)
	p.must(t, 2*time.Minute, append(argv, "sh", "-c", "echo started; sleep 600; echo never")...)

	// The test has started once its first line is in the log.
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(p.must(t, time.Minute, "logs", name), "started") {
		if time.Now().After(deadline) {
			t.Fatal("the test never printed its first line")
		}
		time.Sleep(50 * time.Millisecond)
	}

	const stopTimeout = 60 // seconds before podman falls back to SIGKILL
	start := time.Now()
	p.must(t, 2*time.Minute, "stop", "--time", fmt.Sprint(stopTimeout), name)
	if el := time.Since(start); el > stopTimeout/2*time.Second {
		t.Errorf("podman stop took %v: SIGTERM did not end the container", el)
	}
	if got := p.must(t, time.Minute, "wait", name); got != "143\n" {
		t.Errorf("podman wait: %q, want %q", got, "143\n")
	}
	logs := runCmd(t, time.Minute, p.cmd("logs", name))
	if logs.Code != 0 || logs.Stdout != "started\n" {
		t.Errorf("podman logs: code %d stdout %q, want %q\nstderr:\n%s", logs.Code, logs.Stdout, "started\n", logs.Stderr)
	}
	t.Logf("tinit's stderr:\n%s", logs.Stderr)
}
