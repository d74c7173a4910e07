package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// autopkgtest's podman backend with tinit as the container's init, which
// needs no change to autopkgtest: init_path in containers.conf names
// tinit, and `--init` after the image goes to `podman run`. Tests then run
// through `podman exec` under a stock wrapper.sh that still kills what they
// leak; the patched wrapper.sh runs each test under whatever is at
// /run/autopkgtest-init, so a read-only volume of tinit there (the patch's
// only change outside virt-unshare) delivers the late lines as well.
func TestAutopkgtestPodmanInit(t *testing.T) {
	p := newPodman(t)
	bed := newAptBed(t)
	env := podmanAutopkgtestEnv(t, p, bed.tinit)
	before := p.must(t, time.Minute, "ps", "--all", "--quiet")
	prefix := []string{"podman", p.image, "--init"}
	withVolume := append(append([]string{}, prefix...), "-v", bed.tinit+":"+aptInitPath+":ro")

	// bookworm's and trixie's: podman needs no patch to virt-podman, and
	// 6.0's wrapper.sh change is the same line.
	for _, rel := range autopkgtestReleases[:2] {
		t.Run(rel.Version+"/stock", func(t *testing.T) {
			r := bed.runAs(t, true, env, bed.runner(t, rel, false), rel.Version+"-podman-stock", prefix...)
			want := aptMockOutputs("pid1: /run/podman-init -- sleep\nparent: wrapper.sh\n/run/podman-init ro\n")
			// The stock wrapper.sh kills the late writers; tinit, pid 1,
			// reaps them.
			want["late-stdout"] = "late-early-out\n"
			want["late-stderr"] = "late-early-err\n"
			if !strings.Contains(r.Err, "Killing leaked background processes") {
				t.Errorf("the stock wrapper.sh killed nothing: the late writers were not leaked?\n%s", aptTail(r.Err, 2000))
			}
			r.Err = aptDropLines(r.Err, "Killing leaked background processes", " PID TTY ", "sleep 1", "debian/tests/late")
			aptCheckDelivers(t, r, want)
		})
		t.Run(rel.Version+"/patched", func(t *testing.T) {
			r := bed.runAs(t, true, env, bed.runner(t, rel, true), rel.Version+"-podman-patched", withVolume...)
			aptCheckDelivers(t, r, aptMockOutputs("pid1: /run/podman-init -- sleep\nparent: autopkgtest-ini\n/run/podman-init ro\n"))
		})
	}

	// Other tests may use the storage at the same time: only containers
	// that were not there before count.
	newContainers := func() []string {
		var n []string
		for _, c := range strings.Fields(p.must(t, time.Minute, "ps", "--all", "--quiet")) {
			if !strings.Contains(before, c) {
				n = append(n, c)
			}
		}
		return n
	}
	if left := newContainers(); len(left) > 0 {
		t.Errorf("containers left behind: %v", left)
	}

	// autopkgtest's own --init, before the image, asks for a full init
	// system: the container runs /sbin/init, which a minbase lacks.
	t.Run("virt-init-flag", func(t *testing.T) {
		rel := autopkgtestReleases[0]
		r := bed.runAs(t, true, env, bed.runner(t, rel, false), "podman-virt-init", "podman", "--init", p.image)
		if r.Code != 16 || !strings.Contains(r.Err, `"/sbin/init": stat /sbin/init: no such file or directory`) {
			t.Errorf("autopkgtest -- podman --init IMAGE: exit %d, want 16 for a missing /sbin/init\n%s", r.Code, aptTail(r.Err, 2000))
		}
		// autopkgtest leaves the container it failed to start.
		for _, c := range newContainers() {
			p.must(t, time.Minute, "rm", "--force", c)
		}
	})

}

// podmanAutopkgtestEnv is the environment that makes the plain `podman`
// autopkgtest runs use the tests' private storage and config, with
// init_path naming tinit.
func podmanAutopkgtestEnv(t *testing.T, p *podman, tinit string) []string {
	t.Helper()
	flag := func(name string) string {
		for i, g := range p.globals {
			if g == name && i+1 < len(p.globals) {
				return p.globals[i+1]
			}
		}
		t.Fatalf("podman has no %s", name)
		return ""
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	conf := strings.Replace(podmanConf, "[containers]\n", "[containers]\ninit_path = \""+tinit+"\"\n", 1)
	conf = strings.Replace(conf, "[engine]\n", "[engine]\ntmp_dir = \""+flag("--tmpdir")+"\"\n", 1)
	storage := "[storage]\ndriver = \"" + flag("--storage-driver") + "\"\ngraphroot = \"" + flag("--root") +
		"\"\nrunroot = \"" + flag("--runroot") + "\"\n"
	files := map[string]string{"containers.conf": conf, "storage.conf": storage}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return []string{"CONTAINERS_CONF=" + filepath.Join(dir, "containers.conf"),
		"CONTAINERS_STORAGE_CONF=" + filepath.Join(dir, "storage.conf")}
}

// aptDropLines is s without the lines that contain any of marks.
func aptDropLines(s string, marks ...string) string {
	var keep []string
	for _, l := range strings.SplitAfter(s, "\n") {
		drop := false
		for _, m := range marks {
			drop = drop || strings.Contains(l, m)
		}
		if !drop {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "")
}
