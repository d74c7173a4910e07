package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Recipe 2: autopkgtest's virt-unshare testbed with tinit as the pid 1 of
// every command it runs in the testbed, and tinit in place of the
// in-testbed wrapper that copies each test's output to files. The mock
// source package's tests print known lines, one leaks late writers, one
// prints more than a pipe buffer holds; every byte must reach autopkgtest.

// aptRepeats is how often the patched autopkgtest runs the mock's tests: a
// race that loses output now and then must not pass by luck.
const aptRepeats = 3

// aptUnpatchedTries bounds the runs of the unpatched autopkgtest that must
// show the late line lost.
const aptUnpatchedTries = 2

func TestAutopkgtestUnshareTinitDeliversEverything(t *testing.T) {
	bed := newAptBed(t, true)
	want := aptMockOutputs(true)
	for i := 1; i <= aptRepeats; i++ {
		t.Run(fmt.Sprintf("run%d", i), func(t *testing.T) {
			r := bed.run(t, fmt.Sprintf("run%d", i))
			if r.Code != 0 {
				t.Fatalf("autopkgtest exited %d, want 0\nstderr:\n%s", r.Code, aptTail(r.Err, 3000))
			}
			aptCheckSummary(t, r.Summary)
			for name, w := range want {
				if got, ok := r.Files[name]; !ok || got != w {
					t.Errorf("%s in the output dir: got %q (present %v), want %q", name, aptShort(got), ok, aptShort(w))
				}
				stream := r.Out
				if strings.HasSuffix(name, "-stderr") {
					stream = r.Err
				}
				if !strings.Contains(stream, w) {
					t.Errorf("autopkgtest's own %s lacks %s in one piece:\n%s", aptStreamName(name), name, aptTail(stream, 600))
				}
				// The log merges autopkgtest's stdout and stderr, each
				// through its own tee, into one fifo chunk by chunk: a big
				// stream's line may be cut by a chunk of the other
				// (big-erbig-out-18...r-707), so only the line-sized tests
				// are looked for line by line there.
				if strings.HasPrefix(name, "big-") {
					continue
				}
				for _, l := range strings.Split(w, "\n") {
					if l != "" && !strings.Contains(r.Log, l) {
						t.Errorf("log lacks %q (from %s)", l, name)
						break
					}
				}
			}
			if _, ok := r.Files["pid1-stderr"]; ok {
				t.Errorf("pid1-stderr exists: %q", r.Files["pid1-stderr"])
			}
			for _, l := range strings.Split(r.Err, "\n") {
				if strings.HasPrefix(l, "tinit:") {
					t.Errorf("tinit complained: %s", l)
				}
			}
		})
	}
}

func TestAutopkgtestUnshareWithoutTinitLosesLateLine(t *testing.T) {
	bed := newAptBed(t, false)
	want := aptMockOutputs(false)
	for i := 1; i <= aptUnpatchedTries; i++ {
		r := bed.run(t, fmt.Sprintf("unpatched%d", i))
		if r.Code != 0 {
			t.Fatalf("autopkgtest exited %d, want 0\nstderr:\n%s", r.Code, aptTail(r.Err, 3000))
		}
		if got := r.Files["lines-stdout"]; got != want["lines-stdout"] {
			t.Fatalf("lines-stdout: got %q, want %q: the unpatched run is broken in another way", got, want["lines-stdout"])
		}
		if !strings.Contains(r.Files["pid1-stdout"], "pid1: su ") {
			t.Errorf("pid1-stdout %q: pid 1 should be su without tinit", r.Files["pid1-stdout"])
		}
		if !strings.Contains(r.Log, "late-line") {
			t.Logf("run %d lost the late line: late-stdout %q", i, r.Files["late-stdout"])
			return
		}
	}
	t.Errorf("the unpatched autopkgtest delivered the late line in all %d runs: the patched test proves nothing", aptUnpatchedTries)
}

// aptMockOutputs is the exact bytes each mock test writes to each stream,
// named as autopkgtest names the files in its output dir. Without tinit,
// pid1 prints su's command line; those bytes are left out.
func aptMockOutputs(withTinit bool) map[string]string {
	var bo, be strings.Builder
	for i := 1; i <= 3000; i++ {
		fmt.Fprintf(&bo, "big-out-%d\n", i)
		fmt.Fprintf(&be, "big-err-%d\n", i)
	}
	bo.WriteString("big-out-end\n")
	be.WriteString("big-err-end\n")
	m := map[string]string{
		"lines-stdout": "lines-out-1\nlines-out-2\nlines-out-3",
		"lines-stderr": "lines-err-1\nlines-err-2\nlines-err-3",
		"late-stdout":  "late-early-out\nlate-line\n",
		"late-stderr":  "late-early-err\nlate-err-line\n",
		"big-stdout":   bo.String(),
		"big-stderr":   be.String(),
	}
	if withTinit {
		m["pid1-stdout"] = "pid1: /tinit -- su\n/tinit ro\n"
	}
	return m
}

// aptCheckSummary wants every mock test to pass.
func aptCheckSummary(t *testing.T, summary string) {
	t.Helper()
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(summary), "\n") {
		got = append(got, strings.Join(strings.Fields(l), " "))
	}
	want := []string{"lines PASS", "late PASS", "big PASS", "pid1 PASS"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("summary:\n%s\nwant:\n%s", summary, strings.Join(want, "\n"))
	}
}

// aptBed is what every autopkgtest run of one test shares.
type aptBed struct {
	user    subidUser
	base    string // world-readable scratch directory
	runner  string // autopkgtest to run
	mock    string // the mock source tree
	tarball string
}

func newAptBed(t *testing.T, withTinit bool) *aptBed {
	t.Helper()
	requireTool(t, "unshare", "util-linux")
	requireTool(t, "autopkgtest", "autopkgtest")
	u := requireSubidUser(t)
	requireUserNS(t, u)
	tarball := minbaseTarball(t)

	base, err := os.MkdirTemp("", "tinit-apt-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	b := &aptBed{user: u, base: base, tarball: tarball, mock: filepath.Join(base, "mock")}
	b.runner = autopkgtestCopy(t, base, withTinit)
	src := filepath.Join(repoRoot, "test", "integration", "testdata", "autopkgtest", "mock")
	if r := run(t, time.Minute, "cp", "-a", src, b.mock); r.Code != 0 {
		t.Fatalf("copying the mock package: %s", r.Stderr)
	}
	// debian/files marks a built tree: autopkgtest then runs the tests
	// as they are, without installing dpkg-dev to build the package.
	if err := os.WriteFile(filepath.Join(b.mock, "debian", "files"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run(t, time.Minute, "chmod", "-R", "a+rX", base); r.Code != 0 {
		t.Fatalf("chmod: %s", r.Stderr)
	}
	pa := u.asUser("test", "-r", tarball)
	probe := exec.Command(pa[0], pa[1:]...)
	probe.Dir = "/"
	if r := runCmd(t, time.Minute, probe); r.Code != 0 {
		t.Fatalf("user %s cannot read %s", u.Name, tarball)
	}
	return b
}

// aptResult is one autopkgtest run: its exit code, its own stdout and
// stderr, and the files of its output dir.
type aptResult struct {
	Code                   int
	Out, Err, Log, Summary string
	Files                  map[string]string
}

// run runs the mock's tests once in a fresh virt-unshare testbed.
func (b *aptBed) run(t *testing.T, name string) aptResult {
	t.Helper()
	dir := filepath.Join(b.base, name)
	tmp := filepath.Join(dir, "tmp")
	outDir := filepath.Join(dir, "out")
	for _, d := range []string{dir, tmp} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// autopkgtest reopens its stderr by name (tee /dev/stderr), which an
	// unprivileged user may only do on a file of its own.
	stdout := b.ownedFile(t, filepath.Join(dir, "stdout"))
	stderr := b.ownedFile(t, filepath.Join(dir, "stderr"))
	for _, d := range []string{dir, tmp} {
		if err := os.Chown(d, b.user.Uid, b.user.Gid); err != nil {
			t.Fatal(err)
		}
	}
	argv := b.user.asUser("TMPDIR="+tmp, b.runner, "--output-dir", outDir, b.mock,
		"--", "unshare", "--tarball", b.tarball)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = stdout, stderr
	rr := runCmd(t, 8*time.Minute, cmd)
	stdout.Close()
	stderr.Close()
	r := aptResult{Code: rr.Code, Files: map[string]string{}}
	r.Out = aptReadFile(t, stdout.Name())
	r.Err = aptReadFile(t, stderr.Name())
	ents, err := os.ReadDir(outDir)
	if err != nil {
		t.Fatalf("autopkgtest made no output dir (exit %d): %v\nstderr:\n%s", rr.Code, err, aptTail(r.Err, 3000))
	}
	for _, e := range ents {
		n := e.Name()
		if strings.HasSuffix(n, "-stdout") || strings.HasSuffix(n, "-stderr") {
			r.Files[n] = aptReadFile(t, filepath.Join(outDir, n))
		}
	}
	r.Log = aptReadFile(t, filepath.Join(outDir, "log"))
	r.Summary = aptReadFile(t, filepath.Join(outDir, "summary"))
	t.Logf("%s: autopkgtest exited %d after %v", name, r.Code, rr.Elapsed.Round(time.Second))
	return r
}

func (b *aptBed) ownedFile(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Chown(b.user.Uid, b.user.Gid); err != nil {
		t.Fatal(err)
	}
	return f
}

func aptReadFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func aptStreamName(file string) string {
	if strings.HasSuffix(file, "-stderr") {
		return "stderr"
	}
	return "stdout"
}

// tail is the end of s, enough to see why a run failed.
func aptTail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// short keeps messages about big outputs readable.
func aptShort(s string) string {
	if len(s) <= 200 {
		return s
	}
	return s[:100] + fmt.Sprintf("...(%d bytes)...", len(s)) + s[len(s)-100:]
}
