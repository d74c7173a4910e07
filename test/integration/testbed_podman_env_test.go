package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// podmanConf is the containers.conf the podman tests write for themselves.
// Podman here works only with runc, and only with these ulimits. cgroupfs
// and file events need no systemd; file locks keep the private storage off
// the shared memory lock segment the machine's own podman uses; k8s-file
// logs are what `podman logs` reads back without journald.
const podmanConf = `[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
log_driver = "k8s-file"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
lock_type = "file"
`

// podman runs podman against storage of the tests' own, never the
// machine's: images live in the cache directory so the imported rootfs is
// kept between runs; run state lives under /run, which a reboot clears, as
// podman expects.
type podman struct {
	conf    string
	globals []string
	image   string
}

func (p *podman) cmd(args ...string) *exec.Cmd {
	return p.wrapped(nil, args...)
}

// wrapped is cmd behind wrapper, a command line that runs the words after it.
func (p *podman) wrapped(wrapper []string, args ...string) *exec.Cmd {
	argv := append(append(append(wrapper, "podman"), p.globals...), args...)
	c := exec.Command(argv[0], argv[1:]...)
	c.Env = append(os.Environ(), "CONTAINERS_CONF="+p.conf)
	return c
}

// must runs a podman command that has to succeed and returns its stdout.
func (p *podman) must(t *testing.T, timeout time.Duration, args ...string) string {
	t.Helper()
	r := runCmd(t, timeout, p.cmd(args...))
	if r.Code != 0 {
		t.Fatalf("podman %s: exit %d\n%s%s", strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
	}
	return r.Stdout
}

// newPodman checks the tools, writes the config, and makes sure the minbase
// image is imported into the private storage.
func newPodman(t *testing.T) *podman {
	t.Helper()
	requireTool(t, "podman", "podman")
	requireTool(t, "runc", "runc")
	requireTool(t, "conmon", "conmon")
	requireTool(t, "unshare", "util-linux")
	if os.Geteuid() != 0 {
		skipOrFail(t, "the podman tests run rootful podman and need root")
	}
	tarball := minbaseTarball(t)
	cache := rootfsCacheDir(t)
	graph := filepath.Join(cache, "podman-storage")
	// One run directory per storage, so two cache directories never share
	// one; it must stay the same between runs, as podman records it.
	h := sha256.Sum256([]byte(graph))
	runDir := "/run/tinit-test-podman-" + hex.EncodeToString(h[:4])
	conf := filepath.Join(t.TempDir(), "containers.conf")
	if err := os.WriteFile(conf, []byte(podmanConf), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &podman{conf: conf, globals: []string{
		"--root", graph,
		"--runroot", filepath.Join(runDir, "storage"),
		"--tmpdir", filepath.Join(runDir, "libpod"),
		"--storage-driver", "overlay",
	}}
	p.image = p.importImage(t, cache, tarball)
	return p
}

// importImage imports the tarball once; the tag names the tarball's size
// and time, so a rebuilt tarball gets a new image and the old one goes.
func (p *podman) importImage(t *testing.T, cache, tarball string) string {
	t.Helper()
	st, err := os.Stat(tarball)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte(fmt.Sprintf("%s %d %d", filepath.Base(tarball), st.Size(), st.ModTime().UnixNano())))
	repo := "localhost/tinit-test-minbase"
	image := repo + ":" + hex.EncodeToString(h[:6])

	lock, err := os.OpenFile(filepath.Join(cache, ".podman.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatalf("podman cache lock: %v", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatalf("podman cache lock: %v", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)

	if runCmd(t, time.Minute, p.cmd("image", "exists", image)).Code == 0 {
		return image
	}
	old := p.must(t, time.Minute, "images", "--noheading", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference="+repo)
	// Importing copies the layer with a blob info cache that podman keeps
	// in the machine's own container directory whatever --root says; a
	// tmpfs over that directory's parent, in a mount namespace of the
	// import's own, keeps it out.
	imp := p.wrapped([]string{"unshare", "--mount", "--propagation", "private",
		"sh", "-c", `mount -t tmpfs -o size=16m tinit-test /var/lib && exec "$@"`, "sh"},
		"import", "--quiet", tarball, image)
	if r := runCmd(t, 10*time.Minute, imp); r.Code != 0 {
		t.Fatalf("podman import: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	for _, o := range strings.Fields(old) {
		if o != image {
			p.must(t, time.Minute, "rmi", "--force", o)
		}
	}
	return image
}
