package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An arm64 testbed on this host: its minbase is built by mmdebstrap under
// qemu-user-static, and every command in it runs emulated. tinit, bound
// in by virt-unshare --init, is either the host's own static binary (run
// natively: it needs nothing from the rootfs) or the arm64 one (emulated,
// like the rootfs).
func TestAutopkgtestUnshareInitForeignArch(t *testing.T) {
	requireTool(t, "qemu-aarch64-static", "qemu-user-static")
	requireTool(t, "update-binfmts", "binfmt-support")
	enableBinfmt(t, []string{"qemu-aarch64"})
	bed := newAptBed(t)
	tarball := debianTarball(t, "bookworm", "arm64")
	// The release build, copied where the testbed's user can run it.
	arm64 := filepath.Join(bed.base, "tinit-arm64")
	if b, err := os.ReadFile(filepath.Join(buildDist(t), "tinit-arm64")); err != nil {
		t.Fatal(err)
	} else if err := os.WriteFile(arm64, b, 0o755); err != nil {
		t.Fatal(err)
	}
	bed.shareAll(t)
	interp := binfmtInterpreter(t, "qemu-aarch64")
	newer := autopkgtestReleases[len(autopkgtestReleases)-2:]
	// The arm64 tinit runs with 5.49 only, as it did: with 6.0 that run
	// took almost 5 minutes on the loaded test machine, against 23 s for
	// 5.49's runs and 1.5 to 2.5 minutes for 6.0's other two.
	rel := newer[0]
	arm64Testbed := func(t *testing.T, r aptResult) {
		t.Helper()
		if !strings.Contains(r.Out, "testbed dpkg architecture: arm64") && !strings.Contains(r.Err, "testbed dpkg architecture: arm64") {
			t.Errorf("autopkgtest did not see an arm64 testbed:\n%s", aptTail(r.Err, 2000))
		}
	}

	// trixie's and sid's autopkgtest, with --init and stock: stock loses
	// the late lines on an emulated testbed too.
	for _, rel := range newer {
		t.Run(rel.Version+"/host-tinit", func(t *testing.T) {
			r := bed.run(t, bed.runner(t, rel, true), "arm64-host-tinit-"+rel.Version,
				"unshare", "--init", bed.tinit, "--tarball", tarball)
			aptCheckDelivers(t, r, aptMockOutputs(aptUnshareInitPid1))
			arm64Testbed(t, r)
		})
		t.Run(rel.Version+"/stock", func(t *testing.T) {
			r := bed.runStockLoses(t, rel, "arm64-stock-"+rel.Version, "unshare", "--tarball", tarball)
			arm64Testbed(t, r)
		})
	}

	// qemu-user 7.2 rejects PR_SET_CHILD_SUBREAPER, so the emulated tinit
	// under wrapper.sh, which is not pid 1, warns on every test's stderr
	// (a test without allow-stderr fails on that) and leaves orphans to pid
	// 1. pid 1's command line is qemu's, binfmt's P flag keeping argv[0].
	t.Run(rel.Version+"/arm64-tinit", func(t *testing.T) {
		r := bed.run(t, bed.runner(t, rel, true), "arm64-arm64-tinit",
			"unshare", "--init", arm64, "--tarball", tarball)
		want := aptMockOutputs("pid1: " + interp + " " + aptInitPath + " " + aptInitPath + "\nparent: autopkgtest-ini\n")
		want["pid1-stderr"] = ""
		for name := range want {
			if strings.HasSuffix(name, "-stderr") {
				want[name] = qemuSubreaperWarning + want[name]
			}
		}
		aptCheckDeliversWarned(t, r, want)
	})
}

// qemuSubreaperWarning is what an emulated tinit that is not pid 1 says.
const qemuSubreaperWarning = "tinit: warning: cannot become a child subreaper (invalid argument): orphans will not be reaped by tinit\n"

// binfmtInterpreter is the program the kernel runs a handler's binaries with.
func binfmtInterpreter(t *testing.T, handler string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(binfmtDir, handler))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(l, "interpreter "); ok {
			return p
		}
	}
	t.Fatalf("%s names no interpreter:\n%s", handler, b)
	return ""
}
