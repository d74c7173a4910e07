package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// upstreamStock528 is what stock autopkgtest 5.28's own suite says of its
// UnshareRunner tests (`tests/autopkgtest UnshareRunner` in the source
// package's tree, with $AUTOPKGTEST_TEST_UNSHARE set to
// upstreamUnshareTarball's tarball): 38 tests, all ok, in 15 minutes on
// the project's loaded 2-core machine in December 2026. Recorded, not run
// again: that would double the test's time for a result that does not
// change with tinit or the series.
var upstreamStock528 = map[string]string{
	"test_arch_all": "ok",
	"test_arch_any": "ok",
	"test_arch_in_mixed_list_skipped_explicit": "ok",
	"test_arch_in_mixed_list_skipped_wildcard": "ok",
	"test_arch_in_supported_list":              "ok",
	"test_arch_in_unsupported_list":            "ok",
	"test_arch_in_unsupported_wildcard_list":   "ok",
	"test_arch_not_in_negated_list":            "ok",
	"test_arch_not_in_supported_list":          "ok",
	"test_arch_not_in_supported_wildcard_list": "ok",
	"test_bind":                                                "ok",
	"test_breaks_testbed":                                      "ok",
	"test_flaky_fail":                                          "ok",
	"test_flaky_fail_mixed":                                    "ok",
	"test_flaky_success":                                       "ok",
	"test_isolation":                                           "ok",
	"test_needs_internet_skipped":                              "ok",
	"test_needs_internet_success":                              "ok",
	"test_needs_internet_tried_skipped":                        "ok",
	"test_needs_internet_tried_success":                        "ok",
	"test_pseudo_terminal":                                     "ok",
	"test_skippable_fail":                                      "ok",
	"test_skippable_skipped":                                   "ok",
	"test_skippable_skipped_mixed":                             "ok",
	"test_skippable_success":                                   "ok",
	"test_superficial_fail":                                    "ok",
	"test_superficial_fail_mixed":                              "ok",
	"test_superficial_success":                                 "ok",
	"test_superficial_success_mixed":                           "ok",
	"test_tree_allow_stderr_nobuild_fail_on_exit":              "ok",
	"test_tree_allow_stderr_nobuild_success":                   "ok",
	"test_tree_build_needed_success":                           "ok",
	"test_tree_norestrictions_nobuild_fail_on_exit":            "ok",
	"test_tree_norestrictions_nobuild_fail_on_stderr":          "ok",
	"test_tree_norestrictions_nobuild_fail_on_stderr_and_exit": "ok",
	"test_tree_norestrictions_nobuild_success":                 "ok",
	"test_unknown_restriction":                                 "ok",
	"test_unskippable":                                         "ok",
}

// autopkgtest 5.28's own tests of its unshare backend, from its source
// package, with the 5.28 series applied: UnshareInitRunner runs every
// UnshareRunner test with --init tinit, and each must end as it does
// stock (upstreamStock528), and the series' own test must pass. Without
// the wrapper.sh patch, that test fails, for the reason it exists: the
// leaked writer's late line is lost.
func TestAutopkgtestUpstreamUnshareSuite(t *testing.T) {
	requireTool(t, "unshare", "util-linux")
	requireTool(t, "dh", "debhelper")
	requireTool(t, "dpkg-buildpackage", "dpkg-dev")
	requireTool(t, "git", "git")
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		skipOrFail(t, "no /usr/bin/python3 (autopkgtest's own tests need python3)")
	}
	u := requireSubidUser(t)
	requireUserNS(t, u)
	src := autopkgtestSource(t, "bookworm", "5.28")
	tarball := upstreamUnshareTarball(t)

	base, err := os.MkdirTemp("", "tinit-upstream-")
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("TINIT_KEEP_APT") == "" {
		t.Cleanup(func() { os.RemoveAll(base) })
	}
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	series := autopkgtestSeries(t, "5.28")
	patched := gitImport(t, src, filepath.Join(base, "patched"), "5.28")
	gitAm(t, patched, series...)
	// The series without its wrapper.sh patch: virt-unshare --init and
	// the test, but tests run without the init.
	noWrapper := gitImport(t, src, filepath.Join(base, "no-wrapper"), "5.28")
	gitAm(t, noWrapper, series[0], series[2])
	tinit := filepath.Join(base, "tinit")
	if r := run(t, time.Minute, "cp", tinitBin, tinit); r.Code != 0 {
		t.Fatal(r.Stderr)
	}
	if r := run(t, time.Minute, "chown", "-R", strconv.Itoa(u.Uid)+":"+strconv.Itoa(u.Gid), base); r.Code != 0 {
		t.Fatalf("chown: %s", r.Stderr)
	}

	suite := func(t *testing.T, tree, name string, timeout time.Duration) (map[string]string, result) {
		t.Helper()
		tmp := filepath.Join(base, "tmp-"+filepath.Base(tree))
		if err := os.Mkdir(tmp, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(tmp, u.Uid, u.Gid); err != nil {
			t.Fatal(err)
		}
		argv := u.asUser("TMPDIR="+tmp, "AUTOPKGTEST_TEST_UNSHARE="+tarball,
			"AUTOPKGTEST_TEST_UNSHARE_INIT="+tinit, "tests/unshare_init.py", name)
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir = tree
		r := runCmd(t, timeout, cmd)
		t.Logf("tests/unshare_init.py %s: exit %d after %v", name, r.Code, r.Elapsed.Round(time.Second))
		// Kept with TINIT_KEEP_APT=1, to read after a failure.
		for ext, b := range map[string]string{".stdout": r.Stdout, ".stderr": r.Stderr} {
			if err := os.WriteFile(tree+ext, []byte(b), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return unittestVerdicts(r.Stdout), r
	}

	t.Run("without-wrapper-patch", func(t *testing.T) {
		got, r := suite(t, noWrapper, "UnshareInitRunner.test_init_leaked_writer", 10*time.Minute)
		if got["test_init_leaked_writer"] != "FAIL" {
			t.Fatalf("test_init_leaked_writer: %q, want FAIL\n%s", got["test_init_leaked_writer"], aptTail(r.Stdout, 3000))
		}
		if !strings.Contains(r.Stdout, `AssertionError: 'late\n' not found in 'early\nleak`) {
			t.Errorf("test_init_leaked_writer failed, but not for the lost late line:\n%s", aptTail(r.Stdout, 3000))
		}
	})

	t.Run("patched", func(t *testing.T) {
		got, r := suite(t, patched, "UnshareInitRunner", 60*time.Minute)
		want := map[string]string{"test_init_leaked_writer": "ok"}
		for name, v := range upstreamStock528 {
			want[name] = v
		}
		var names []string
		for name := range want {
			names = append(names, name)
		}
		for name := range got {
			if _, ok := want[name]; !ok {
				names = append(names, name)
			}
		}
		sort.Strings(names)
		bad := 0
		for _, name := range names {
			if got[name] != want[name] {
				bad++
				t.Errorf("%s: %q with --init, %q stock", name, got[name], want[name])
			}
		}
		if bad > 0 || r.Code != 0 {
			t.Errorf("tests/unshare_init.py UnshareInitRunner: exit %d\n%s", r.Code, aptTail(r.Stdout, 6000))
		}
		t.Logf("%d tests, all as stock, and test_init_leaked_writer: ok", len(got))
	})
}

// unittestVerdict matches the line where unittest's verbose runner ends a
// test: "test_x (__main__.Class.test_x)", the docstring's first line on the
// next line if there is one, then " ... ok", "FAIL", "ERROR", "skipped
// 'why'", "expected failure" or "unexpected success".
var unittestVerdict = regexp.MustCompile(`(?m)^(test_\w+) \(__main__\.[\w.]+\)(?:\n.*?)? \.\.\. (ok|FAIL|ERROR|skipped|expected failure|unexpected success)`)

// unittestVerdicts maps each test that ran to its verdict.
func unittestVerdicts(out string) map[string]string {
	m := map[string]string{}
	for _, g := range unittestVerdict.FindAllStringSubmatch(out, -1) {
		m[g[1]] = g[2]
	}
	return m
}

// upstreamUnshareTarball is the testbed autopkgtest's own unshare tests
// are made for (its debian/tests/unshare): a buildd rootfs with eatmydata,
// apt's lists kept, and deb-src lines, here of bookworm from the host's
// Debian mirror. Built once by mmdebstrap and cached.
func upstreamUnshareTarball(t testing.TB) string {
	t.Helper()
	requireTool(t, "mmdebstrap", "mmdebstrap")
	dir := rootfsCacheDir(t)
	out := filepath.Join(dir, "bookworm-buildd-src-v1.tar")
	if _, err := os.Stat(out); err == nil {
		return out
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatalf("cache lock: %v", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatalf("cache lock: %v", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(out); err == nil {
		return out
	}
	mirrors := run(t, time.Minute, "apt-get", "indextargets", "--format", "$(REPO_URI)", "Label: Debian", "Identifier: Packages")
	mirror, _, _ := strings.Cut(mirrors.Stdout, "\n")
	if mirrors.Code != 0 || mirror == "" {
		t.Fatalf("the host's apt lists no Debian archive (apt-get update first?): %d\n%s", mirrors.Code, mirrors.Stderr)
	}
	tmp := out + ".partial.tar"
	cmd := exec.Command("mmdebstrap", "--quiet", "--variant=buildd", "--include=eatmydata",
		"--skip=cleanup/apt/lists", "bookworm", tmp,
		"deb "+mirror+" bookworm main", "deb-src "+mirror+" bookworm main")
	r := runCmd(t, 40*time.Minute, cmd)
	if r.Code != 0 {
		os.Remove(tmp)
		t.Fatalf("mmdebstrap %s failed (%d):\n%s", strings.Join(cmd.Args[1:], " "), r.Code, r.Stderr)
	}
	if err := os.Rename(tmp, out); err != nil {
		t.Fatal(err)
	}
	t.Logf("built %s in %v", filepath.Base(out), r.Elapsed.Round(time.Second))
	return out
}
