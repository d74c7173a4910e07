package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// autopkgtest's virt-unshare testbed with `--init tinit` (the series in
// contrib/autopkgtest): tinit is pid 1 of every testbed command, and
// wrapper.sh runs each test under it. The mock source package's tests
// print known lines, one leaks late writers, one prints more than a pipe
// buffer holds; every byte must reach autopkgtest.

// aptRepeats is how often the patched autopkgtest runs the mock's tests on
// bookworm: a race that loses output now and then must not pass by luck.
// 6.0 unpacks a fresh testbed for every test (a minute a run here), and
// runs on trixie and sid below as well: once.
func aptRepeats(rel autopkgtestRelease) int {
	if rel.Version == "6.0" {
		return 1
	}
	return 2
}

// aptInitPath is where virt-unshare --init binds the init in the testbed,
// and where the patched wrapper.sh looks for it.
const aptInitPath = "/run/autopkgtest-init"

// aptUnshareInitPid1 is what the mock's pid1 test prints under
// virt-unshare --init: pid 1 is tinit running su, the test's parent is
// tinit too (its comm is the bind mount's name, cut to 15 bytes), and
// the bind is read-only.
const aptUnshareInitPid1 = "pid1: " + aptInitPath + " -- su\nparent: autopkgtest-ini\n" + aptInitPath + " ro\n"

func TestAutopkgtestUnshareInitDeliversEverything(t *testing.T) {
	bed := newAptBed(t)
	tarball := minbaseTarball(t)
	for _, rel := range autopkgtestReleases {
		t.Run(rel.Version, func(t *testing.T) {
			runner := bed.runner(t, rel, true)
			for i := 1; i <= aptRepeats(rel); i++ {
				name := fmt.Sprintf("%s-run%d", rel.Version, i)
				r := bed.run(t, runner, name, "unshare", "--init", bed.tinit, "--tarball", tarball)
				aptCheckDelivers(t, r, aptMockOutputs(aptUnshareInitPid1))
			}
		})
	}
}

// --init names an executable file, or the testbed does not start: exit
// 16, autopkgtest's testbed failure, with the reason.
func TestAutopkgtestUnshareInitRejectsBadPath(t *testing.T) {
	bed := newAptBed(t)
	tarball := minbaseTarball(t)
	notExec := filepath.Join(bed.base, "not-executable")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, rel := range autopkgtestReleases {
		for _, bad := range []string{filepath.Join(bed.base, "missing"), notExec, bed.base} {
			t.Run(rel.Version+"/"+filepath.Base(bad), func(t *testing.T) {
				r := bed.run(t, bed.runner(t, rel, true), rel.Version+"-bad-"+filepath.Base(bad),
					"unshare", "--init", bad, "--tarball", tarball)
				msg := "--init " + bad + " is not an executable file"
				if r.Code != 16 || !strings.Contains(r.Err, msg) {
					t.Errorf("exit %d, want 16 and %q\n%s", r.Code, msg, aptTail(r.Err, 2000))
				}
			})
		}
	}
}

// The same on trixie and sid testbeds, with trixie's and sid's autopkgtest
// (bookworm's is proven by its own suite): tinit is static, so a rootfs's
// own libraries never matter. Stock autopkgtest, without --init, loses the
// late lines there too.
func TestAutopkgtestUnshareInitSuites(t *testing.T) {
	bed := newAptBed(t)
	for _, suite := range []string{"trixie", "sid"} {
		t.Run(suite, func(t *testing.T) {
			tarball := debianTarball(t, suite, "")
			for _, rel := range autopkgtestReleases[1:] {
				t.Run(rel.Version, func(t *testing.T) {
					r := bed.run(t, bed.runner(t, rel, true), suite+"-"+rel.Version,
						"unshare", "--init", bed.tinit, "--tarball", tarball)
					aptCheckDelivers(t, r, aptMockOutputs(aptUnshareInitPid1))
					bed.runStockLoses(t, rel, suite+"-"+rel.Version+"-stock", "unshare", "--tarball", tarball)
				})
			}
		})
	}
}

// runStockLoses runs stock rel until a run loses the late lines, at most
// aptStockTries times. Stock loses them only when the late writers are
// still alive when wrapper.sh looks for leaked processes, a second after
// the test exits: on an emulated testbed on a machine with a load average
// of 90 its search came later, they had written and exited, and the run
// lost nothing.
func (b *aptBed) runStockLoses(t *testing.T, rel autopkgtestRelease, name string, virt ...string) aptResult {
	t.Helper()
	var r aptResult
	for i := 1; i <= aptStockTries; i++ {
		r = b.run(t, b.runner(t, rel, false), fmt.Sprintf("%s-%d", name, i), virt...)
		if strings.Contains(r.Err, "Killing leaked background processes") || i == aptStockTries {
			break
		}
		t.Logf("%s: stock wrapper.sh found no late writer alive; again", name)
	}
	aptCheckStockLoses(t, r)
	return r
}

const aptStockTries = 3

// aptCheckStockLoses wants a stock run that passed every mock test as the
// patched one does, delivered the lines the tests write before they exit,
// and lost the lines their leaked writers write after.
func aptCheckStockLoses(t *testing.T, r aptResult) {
	t.Helper()
	if r.Code != aptFailedTests {
		t.Fatalf("stock autopkgtest exited %d, want %d\nstderr:\n%s", r.Code, aptFailedTests, aptTail(r.Err, 3000))
	}
	aptCheckSummary(t, r.Summary)
	want := aptMockOutputs("")
	for _, name := range []string{"lines-stdout", "lines-stderr", "big-stdout", "big-stderr", "status-stdout"} {
		if r.Files[name] != want[name] {
			t.Errorf("stock %s: %q, want %q", name, aptShort(r.Files[name]), aptShort(want[name]))
		}
	}
	if got := r.Files["late-stdout"]; got != "late-early-out\n" {
		t.Errorf("stock late-stdout: %q, want the early line only: --init proves nothing", got)
	}
	if got := r.Files["late-stderr"]; got != "late-early-err\n" {
		t.Errorf("stock late-stderr: %q, want the early line only: --init proves nothing", got)
	}
	if !strings.Contains(r.Err, "Killing leaked background processes") {
		t.Errorf("the stock wrapper.sh killed nothing:\n%s", aptTail(r.Err, 2000))
	}
}

// Without --init the patched autopkgtest is stock autopkgtest, with the
// null backend (whose wrapper.sh runs on the host) and with unshare: the
// same files with the same bytes, the same exit code, the same output but
// for times, pids and temporary names. Stock autopkgtest loses the late
// lines both ways, which is what --init is for.
func TestAutopkgtestWithoutInitIsStock(t *testing.T) {
	bed := newAptBed(t)
	tarball := minbaseTarball(t)
	backends := [][]string{{"null"}, {"unshare", "--tarball", tarball}}
	for _, rel := range autopkgtestReleases {
		for _, virt := range backends {
			t.Run(rel.Version+"/"+virt[0], func(t *testing.T) {
				stockRunner, patchedRunner := bed.runner(t, rel, false), bed.runner(t, rel, true)
				stockTree, patchedTree := filepath.Dir(filepath.Dir(stockRunner)), filepath.Dir(filepath.Dir(patchedRunner))
				stock := bed.run(t, stockRunner, rel.Version+"-stock-"+virt[0], virt...)
				patched := bed.run(t, patchedRunner, rel.Version+"-patched-"+virt[0], virt...)
				if stock.Code != aptFailedTests {
					t.Fatalf("stock autopkgtest exited %d\nstderr:\n%s", stock.Code, aptTail(stock.Err, 3000))
				}
				if patched.Code != stock.Code {
					t.Errorf("patched autopkgtest exited %d, stock %d\nstderr:\n%s", patched.Code, stock.Code, aptTail(patched.Err, 3000))
				}
				aptCheckSummary(t, stock.Summary)
				if patched.Summary != stock.Summary {
					t.Errorf("summary: patched %q, stock %q", patched.Summary, stock.Summary)
				}
				for name, w := range stock.Files {
					if g, ok := patched.Files[name]; !ok || g != w {
						t.Errorf("%s: patched %q (present %v), stock %q", name, aptShort(g), ok, aptShort(w))
					}
				}
				for name := range patched.Files {
					if _, ok := stock.Files[name]; !ok {
						t.Errorf("%s: only the patched autopkgtest made it", name)
					}
				}
				for _, s := range []struct{ name, stock, patched string }{
					{"stdout", stock.Out, patched.Out},
					{"stderr", stock.Err, patched.Err},
				} {
					// autopkgtest run from a git tree names it when git
					// refuses the tree (root's) to autopkgtest's user.
					a := aptNormalise(strings.ReplaceAll(strings.ReplaceAll(s.stock, stock.Dir, "RUN"), stockTree, "TREE"))
					b := aptNormalise(strings.ReplaceAll(strings.ReplaceAll(s.patched, patched.Dir, "RUN"), patchedTree, "TREE"))
					if a != b {
						t.Errorf("autopkgtest's %s differs beyond times and pids:\n%s", s.name, aptFirstDiff(a, b))
					}
				}
				aptCheckStockLoses(t, stock)
			})
		}
	}
}

// aptMockOutputs is the exact bytes each mock test writes to each stream,
// named as autopkgtest names the files in its output dir. pid1 is what the
// pid1 test prints; "" leaves it out.
func aptMockOutputs(pid1 string) map[string]string {
	var bo, be strings.Builder
	for i := 1; i <= 3000; i++ {
		fmt.Fprintf(&bo, "big-out-%d\n", i)
		fmt.Fprintf(&be, "big-err-%d\n", i)
	}
	bo.WriteString("big-out-end\n")
	be.WriteString("big-err-end\n")
	m := map[string]string{
		"lines-stdout":  "lines-out-1\nlines-out-2\nlines-out-3",
		"lines-stderr":  "lines-err-1\nlines-err-2\nlines-err-3",
		"late-stdout":   "late-early-out\nlate-line\n",
		"late-stderr":   "late-early-err\nlate-err-line\n",
		"big-stdout":    bo.String(),
		"big-stderr":    be.String(),
		"status-stdout": "status-out\n",
	}
	if pid1 != "" {
		m["pid1-stdout"] = pid1
	}
	return m
}

// aptCheckDelivers wants a run that passed and delivered every byte of
// want to the output dir's files and to autopkgtest's own streams, and no
// complaint from tinit.
func aptCheckDelivers(t *testing.T, r aptResult, want map[string]string) {
	t.Helper()
	aptCheckDeliversWarned(t, r, want)
}

// aptCheckDeliversWarned is aptCheckDelivers for a run whose tests' stderr
// may hold what tinit said: lines of want's *-stderr files are no
// complaint on autopkgtest's stderr.
func aptCheckDeliversWarned(t *testing.T, r aptResult, want map[string]string) {
	t.Helper()
	expected := map[string]bool{aptCopyupEPIPE: true}
	for name, w := range want {
		if strings.HasSuffix(name, "-stderr") {
			for _, l := range strings.Split(w, "\n") {
				expected[l] = true
			}
		}
	}
	if r.Code != aptFailedTests {
		t.Fatalf("autopkgtest exited %d, want %d (the status test fails)\nstderr:\n%s", r.Code, aptFailedTests, aptTail(r.Err, 3000))
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
		// The log merges autopkgtest's stdout and stderr, each through its
		// own tee, into one fifo chunk by chunk: a big stream's line may be
		// cut by a chunk of the other (big-erbig-out-18...r-707), so only
		// the line-sized tests are looked for line by line there.
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
	if _, ok := want["pid1-stderr"]; !ok && r.Files["pid1-stderr"] != "" {
		t.Errorf("pid1-stderr exists: %q", r.Files["pid1-stderr"])
	}
	tolerated := 0
	for _, l := range strings.Split(r.Err, "\n") {
		switch {
		case l == aptCopyupEPIPE:
			tolerated++
		case expected[l]:
		case strings.HasPrefix(l, "tinit:") || strings.Contains(l, "Killing leaked"):
			t.Errorf("complaint on autopkgtest's stderr: %s", l)
		}
	}
	if tolerated > 0 {
		t.Logf("pid 1 reported %d broken pipes of copyup's tar", tolerated)
	}
}

// aptCopyupEPIPE is what pid 1 tinit says when autopkgtest copies a test's
// artifacts out with `tar -c | tar -x` and the host's tar stops reading
// at the end of the archive, before the zero padding has all been
// written: the testbed's tar gets EPIPE as it does stock, where it says nothing
// (--warning=none). It reaches autopkgtest's stderr, never a test's.
const aptCopyupEPIPE = "tinit: cannot write to stdout (broken pipe); closing the child's stdout, as if tinit were not there"

// aptFailedTests is autopkgtest's exit status when some test failed: the
// mock's status test exits 7.
const aptFailedTests = 4

// aptCheckSummary wants every mock test to pass but status, which fails
// with its own exit status.
func aptCheckSummary(t *testing.T, summary string) {
	t.Helper()
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(summary), "\n") {
		got = append(got, strings.Join(strings.Fields(l), " "))
	}
	want := []string{"lines PASS", "late PASS", "big PASS", "pid1 PASS", "status FAIL non-zero exit status 7"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("summary:\n%s\nwant:\n%s", summary, strings.Join(want, "\n"))
	}
}

// aptNoiseRules turn what differs between two identical runs into
// placeholders: times, dates, pids and counters, temporary names, the
// output directory on the command line, and ps's column widths; and drop
// ps's lines.
var aptNoiseRules = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`(command line|starting date and time): .*`), "$1: X"},
	{regexp.MustCompile(`(autopkgtest|tmp)[._][A-Za-z0-9_]{6,}`), "$1.X"},
	{regexp.MustCompile(`[0-9]+`), "N"},
	{regexp.MustCompile(`[ \t]+`), " "},
	// wrapper.sh's ps of the processes it kills lists them by pid, an
	// order the scheduler picks.
	{regexp.MustCompile(`(?m)^ ?N \? \S+ N:N .*\n`), ""},
}

func aptNormalise(s string) string {
	for _, r := range aptNoiseRules {
		s = r.re.ReplaceAllString(s, r.with)
	}
	return s
}

// aptFirstDiff shows the first line where a and b part.
func aptFirstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d: stock %q\n          patched %q", i+1, x, y)
		}
	}
	return "(no line differs)"
}

// aptBed is what every autopkgtest run of one test shares: the user that
// runs autopkgtest, a scratch directory it can read, the mock package, a
// tinit it can read, and the autopkgtest copies made so far.
type aptBed struct {
	user    subidUser
	base    string   // world-readable scratch directory
	mock    string   // the mock source tree
	debs    []string // binary packages to test, given before the source
	tinit   string
	runners map[string]string
}

func newAptBed(t *testing.T) *aptBed {
	t.Helper()
	requireTool(t, "unshare", "util-linux")
	u := requireSubidUser(t)
	requireUserNS(t, u)

	base, err := os.MkdirTemp("", "tinit-apt-")
	if err != nil {
		t.Fatal(err)
	}
	// TINIT_KEEP_APT=1 keeps every run's output dir and streams, to read
	// after a failure.
	if os.Getenv("TINIT_KEEP_APT") == "" {
		t.Cleanup(func() { os.RemoveAll(base) })
	}
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	b := &aptBed{user: u, base: base, mock: filepath.Join(base, "mock"),
		tinit: filepath.Join(base, "tinit"), runners: map[string]string{}}
	src := filepath.Join(repoRoot, "test", "integration", "testdata", "autopkgtest", "mock")
	for _, c := range [][]string{{"cp", "-a", src, b.mock}, {"cp", tinitBin, b.tinit}} {
		if r := run(t, time.Minute, c...); r.Code != 0 {
			t.Fatalf("%v: %s", c, r.Stderr)
		}
	}
	// debian/files marks a built tree: autopkgtest then runs the tests
	// as they are, without installing dpkg-dev to build the package.
	if err := os.WriteFile(filepath.Join(b.mock, "debian", "files"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	b.shareAll(t)
	return b
}

// shareAll lets the user read everything in the scratch directory.
func (b *aptBed) shareAll(t *testing.T) {
	t.Helper()
	if r := run(t, time.Minute, "chmod", "-R", "a+rX", b.base); r.Code != 0 {
		t.Fatalf("chmod: %s", r.Stderr)
	}
}

// runner is a tree of rel from its .deb, patched or stock, made once per
// bed.
func (b *aptBed) runner(t *testing.T, rel autopkgtestRelease, patched bool) string {
	t.Helper()
	key := fmt.Sprintf("%s-%v", rel.Version, patched)
	if r, ok := b.runners[key]; ok {
		return r
	}
	dir := filepath.Join(b.base, "at-"+key)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := autopkgtestTree(t, dir, rel, patched)
	b.shareAll(t)
	b.runners[key] = r
	return r
}

// aptResult is one autopkgtest run: its exit code, its own stdout and
// stderr, and the files of its output dir.
type aptResult struct {
	Dir                    string // the run's own directory
	Code                   int
	Out, Err, Log, Summary string
	Files                  map[string]string
}

// run runs the mock's tests once with runner, in a fresh testbed of the
// backend virt names (the words after autopkgtest's --).
func (b *aptBed) run(t *testing.T, runner, name string, virt ...string) aptResult {
	t.Helper()
	return b.runAs(t, false, nil, runner, name, virt...)
}

// runAs is run as root when asRoot (rootful podman needs it), with env
// added to a fresh environment.
func (b *aptBed) runAs(t *testing.T, asRoot bool, env []string, runner, name string, virt ...string) aptResult {
	t.Helper()
	for _, f := range virt {
		if strings.HasSuffix(f, ".tar") {
			b.checkReadable(t, f)
		}
	}
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
	args := append(append(append(append([]string{"TMPDIR=" + tmp}, env...), runner, "--output-dir", outDir), b.debs...), b.mock, "--")
	argv := b.user.asUser(append(args, virt...)...)
	if asRoot {
		argv = append([]string{"env", "-i", "HOME=/root", "USER=root", "LOGNAME=root",
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, append(args, virt...)...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = stdout, stderr
	rr := runCmd(t, 10*time.Minute, cmd)
	stdout.Close()
	stderr.Close()
	r := aptResult{Dir: dir, Code: rr.Code, Files: map[string]string{}}
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

// checkReadable fails early, and clearly, when the user cannot read a
// tarball (the cache directory is root's).
func (b *aptBed) checkReadable(t *testing.T, file string) {
	t.Helper()
	pa := b.user.asUser("test", "-r", file)
	probe := exec.Command(pa[0], pa[1:]...)
	probe.Dir = "/"
	if r := runCmd(t, time.Minute, probe); r.Code != 0 {
		t.Fatalf("user %s cannot read %s", b.user.Name, file)
	}
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

// aptTail is the end of s, enough to see why a run failed.
func aptTail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// aptShort keeps messages about big outputs readable.
func aptShort(s string) string {
	if len(s) <= 200 {
		return s
	}
	return s[:100] + fmt.Sprintf("...(%d bytes)...", len(s)) + s[len(s)-100:]
}
