package integration

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// autopkgtestSeriesFiles are the files the series changes, in git's
// order: nothing else in autopkgtest changes. The test file is new, so
// that it applies where tests/ is not shipped (a tree from the .deb).
var autopkgtestSeriesFiles = []string{
	"lib/in-testbed/wrapper.sh",
	"lib/unshare-helper",
	"tests/unshare_init.py",
	"virt/autopkgtest-virt-unshare",
	"virt/autopkgtest-virt-unshare.1",
}

// Each release's whole series applies with git am, one commit per patch,
// to the tree tree-from-deb makes from that release's .deb (for 6.0,
// sid's), and changes only the files above; the result's --help and man
// page document --init. The patch that adds the upstream test is the same
// in every series, and the 5.28 series applies to 5.28's source package.
func TestAutopkgtestSeriesApplies(t *testing.T) {
	requireTool(t, "git", "git")
	base := t.TempDir()
	for _, rel := range autopkgtestReleases {
		t.Run(rel.Version, func(t *testing.T) {
			dir := filepath.Join(base, rel.Version)
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			top := filepath.Dir(filepath.Dir(autopkgtestTree(t, dir, rel, true)))
			code := autopkgtestCodePatches(t, rel.Version)
			if len(code) != 2 {
				t.Errorf("%d patches change autopkgtest itself, want 2 (virt-unshare --init, wrapper.sh)", len(code))
			}
			subjects := gitOut(t, top, "log", "--reverse", "--format=%s", rel.Version+"..HEAD")
			var want []string
			for _, p := range autopkgtestSeries(t, rel.Version) {
				want = append(want, patchSubject(t, p))
			}
			if subjects != strings.Join(want, "\n")+"\n" {
				t.Errorf("commits after git am:\n%s\nwant one per patch:\n%s", subjects, strings.Join(want, "\n"))
			}
			if got := gitOut(t, top, "diff", "--name-only", rel.Version, "HEAD"); got != strings.Join(autopkgtestSeriesFiles, "\n")+"\n" {
				t.Errorf("the series changes:\n%s\nwant:\n%s", got, strings.Join(autopkgtestSeriesFiles, "\n"))
			}
			if got := gitOut(t, top, "status", "--porcelain"); got != "" {
				t.Errorf("git am left the tree unclean:\n%s", got)
			}

			help := run(t, time.Minute, filepath.Join(top, "virt", "autopkgtest-virt-unshare"), "--help")
			words := strings.Join(strings.Fields(help.Stdout), " ")
			if help.Code != 0 || !strings.Contains(words, "--init PATH Run every testbed command, and each test, under the init PATH") {
				t.Errorf("autopkgtest-virt-unshare --help: exit %d, no --init PATH:\n%s%s", help.Code, help.Stdout, help.Stderr)
			}
			man, err := os.ReadFile(filepath.Join(top, "virt", "autopkgtest-virt-unshare.1"))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range []string{`.BR \-\-init " \fIPATH\fR"`, `\fB/run/autopkgtest\-init \-\-\fR \fITEST\fR.`} {
				if !bytes.Contains(man, []byte(w)) {
					t.Errorf("the man page lacks %q", w)
				}
			}

			// The upstream test is carried unchanged from 5.28's series.
			all := autopkgtestSeries(t, rel.Version)
			if len(all) != 3 {
				t.Fatalf("%d patches in the %s series, want 3", len(all), rel.Version)
			}
			carried, err := os.ReadFile(all[2])
			if err != nil {
				t.Fatal(err)
			}
			orig, err := os.ReadFile(autopkgtestSeries(t, "5.28")[2])
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(carried, orig) {
				t.Errorf("%s differs from 5.28's test patch", filepath.Base(all[2]))
			}
		})
	}

	t.Run("5.28-source", func(t *testing.T) {
		top := gitImport(t, autopkgtestSource(t, "bookworm", "5.28"), filepath.Join(base, "src-5.28"), "5.28")
		gitAm(t, top, autopkgtestSeries(t, "5.28")...)
		if got := gitOut(t, top, "diff", "--name-only", "5.28", "HEAD"); got != strings.Join(autopkgtestSeriesFiles, "\n")+"\n" {
			t.Errorf("the series changes:\n%s\nwant:\n%s", got, strings.Join(autopkgtestSeriesFiles, "\n"))
		}
	})
}

// The contrib README's commands for an installed autopkgtest: filterdiff
// takes lib/ to /usr/share/autopkgtest and virt-unshare to /usr/bin, and
// the man page is patched uncompressed. Run on the .deb unpacked into a
// directory, they give the same files as git am gives the tree.
func TestAutopkgtestSeriesInstalled(t *testing.T) {
	requireTool(t, "filterdiff", "patchutils")
	requireTool(t, "patch", "patch")
	base := t.TempDir()
	for _, rel := range autopkgtestReleases {
		t.Run(rel.Version, func(t *testing.T) {
			dir := filepath.Join(base, rel.Version)
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			tree := filepath.Dir(filepath.Dir(autopkgtestTree(t, dir, rel, true)))
			root := filepath.Join(dir, "root")
			if r := run(t, time.Minute, "dpkg-deb", "-x", autopkgtestDeb(t, rel.Suite, rel.Version), root); r.Code != 0 {
				t.Fatalf("dpkg-deb -x: %s", r.Stderr)
			}
			series := filepath.Join(autopkgtestContrib(), rel.Version)
			// The README's lines, with ROOT for the installed system's /.
			script := `set -eu
cd "$SERIES"
filterdiff -p1 -i 'lib/*' 000[12]-*.patch | patch -d "$ROOT/usr/share/autopkgtest" -p1
filterdiff -p1 -i 'virt/autopkgtest-virt-unshare' 000[12]-*.patch | patch -d "$ROOT/usr/bin" -p2
man="$ROOT/usr/share/man/man1/autopkgtest-virt-unshare.1.gz"
zcat "$man" > "$TMP/m.1"
filterdiff -p1 -i 'virt/autopkgtest-virt-unshare.1' 000[12]-*.patch | patch "$TMP/m.1"
gzip -9n < "$TMP/m.1" > "$man"
`
			cmd := exec.Command("sh", "-c", script)
			cmd.Env = append(os.Environ(), "SERIES="+series, "ROOT="+root, "TMP="+dir)
			if r := runCmd(t, time.Minute, cmd); r.Code != 0 {
				t.Fatalf("the README's commands: %d\n%s%s", r.Code, r.Stdout, r.Stderr)
			}
			same := func(installed, inTree string) {
				t.Helper()
				a, err1 := os.ReadFile(installed)
				b, err2 := os.ReadFile(inTree)
				if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
					t.Errorf("%s differs from the patched tree's %s (%v, %v)", installed, inTree, err1, err2)
				}
			}
			for _, f := range []string{"lib/in-testbed/wrapper.sh", "lib/unshare-helper"} {
				same(filepath.Join(root, "usr", "share", "autopkgtest", f), filepath.Join(tree, f))
			}
			same(filepath.Join(root, "usr", "bin", "autopkgtest-virt-unshare"), filepath.Join(tree, "virt", "autopkgtest-virt-unshare"))
			if r := run(t, time.Minute, "gzip", "-dk", filepath.Join(root, "usr", "share", "man", "man1", "autopkgtest-virt-unshare.1.gz")); r.Code != 0 {
				t.Fatal(r.Stderr)
			}
			same(filepath.Join(root, "usr", "share", "man", "man1", "autopkgtest-virt-unshare.1"), filepath.Join(tree, "virt", "autopkgtest-virt-unshare.1"))
		})
	}
}

// gitImport copies src to dir and commits it as one git commit tagged tag.
func gitImport(t testing.TB, src, dir, tag string) string {
	t.Helper()
	if r := run(t, time.Minute, "cp", "-a", src, dir); r.Code != 0 {
		t.Fatalf("cp: %s", r.Stderr)
	}
	for _, c := range [][]string{
		{"init", "-q"},
		{"add", "-A"},
		{"-c", "user.name=autopkgtest " + tag, "-c", "user.email=autopkgtest@invalid", "commit", "-q", "-m", "autopkgtest " + tag},
		{"tag", tag},
	} {
		gitOut(t, dir, c...)
	}
	return dir
}

// gitOut is git's stdout in dir, or the test fails.
func gitOut(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	r := runCmd(t, time.Minute, cmd)
	if r.Code != 0 {
		t.Fatalf("git %v in %s: %d\n%s", args, dir, r.Code, r.Stderr)
	}
	return r.Stdout
}

// patchSubject is a format-patch file's subject, without "[PATCH] " and
// unfolded.
func patchSubject(t testing.TB, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(string(b), "\n\n")
	_, subj, ok := strings.Cut(head, "\nSubject: ")
	if !ok {
		t.Fatalf("%s has no Subject", file)
	}
	subj = strings.ReplaceAll(subj, "\n ", " ")
	subj, _, _ = strings.Cut(subj, "\n")
	return strings.TrimPrefix(subj, "[PATCH] ")
}
