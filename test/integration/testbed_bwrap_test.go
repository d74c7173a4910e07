package integration

import (
	"os"
	"testing"
	"time"
)

// bwrapArgs are docs/recipes.md's bubblewrap recipes, from the first word to the
// end of tinit's options; the test command follows.
//
// "own-root" keeps tinit at /tinit: bwrap builds its root on a tmpfs of its
// own, so the file /tinit is created there, not in the rootfs; the rootfs
// (merged /usr, as Debian has been since bookworm) comes in piece by piece.
// "rootfs-root" binds the whole rootfs at / instead; / is then the read-only
// rootfs, which has no /tinit and must not get one, so tinit goes onto a
// tmpfs on /run.
func bwrapArgs(layout, rootfs, tinit string) (argv []string, inside string) {
	common := []string{"bwrap", "--as-pid-1", "--unshare-pid", "--die-with-parent"}
	switch layout {
	case "own-root":
		argv = append(common,
			"--ro-bind", rootfs+"/usr", "/usr",
			"--ro-bind", rootfs+"/etc", "/etc",
			"--ro-bind", rootfs+"/var", "/var",
			"--ro-bind", rootfs+"/root", "/root",
			"--symlink", "usr/bin", "/bin",
			"--symlink", "usr/sbin", "/sbin",
			"--symlink", "usr/lib", "/lib",
			"--symlink", "usr/lib64", "/lib64",
			"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/run",
			"--ro-bind", tinit, "/tinit",
			"/tinit", "--")
		return argv, "/tinit"
	case "rootfs-root":
		argv = append(common,
			"--ro-bind", rootfs, "/",
			"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/run",
			"--ro-bind", tinit, "/run/tinit",
			"/run/tinit", "--")
		return argv, "/run/tinit"
	}
	panic("unknown bwrap layout " + layout)
}

func TestTestbedBwrap(t *testing.T) {
	requireTool(t, "bwrap", "bubblewrap")
	if os.Geteuid() != 0 {
		// Unprivileged bwrap needs user namespaces and maps the tree's
		// owners away; the recipe is for root, as the testbeds run.
		skipOrFail(t, "the bubblewrap recipe runs bwrap as root")
	}
	rootfs := minbaseTree(t)
	bin, sum := tinitCopy(t)
	before := treeListing(t, rootfs)
	checkNoTinit(t, before)

	for _, layout := range []string{"own-root", "rootfs-root"} {
		t.Run(layout, func(t *testing.T) {
			argv, inside := bwrapArgs(layout, rootfs, bin)
			t.Run("probe", func(t *testing.T) {
				r := run(t, 60*time.Second, append(argv, probeArgv(inside)...)...)
				checkProbe(t, r, inside, sum)
			})
			t.Run("signal", func(t *testing.T) {
				r := run(t, 60*time.Second, append(argv, "sh", "-c", "echo before; kill -TERM $$; echo after")...)
				if r.Code != 143 || r.Stdout != "before\n" || r.Stderr != "" {
					t.Fatalf("got code %d stdout %q stderr %q, want 143 %q %q", r.Code, r.Stdout, r.Stderr, "before\n", "")
				}
			})
			t.Run("rewrite", func(t *testing.T) {
				// tinit's options go before the recipe's "--": SIGTERM to
				// tinit, pid 1, reaches the test as SIGQUIT.
				rw := append(append(append([]string{}, argv[:len(argv)-1]...), "-r", "TERM:QUIT"), argv[len(argv)-1])
				script := `trap 'echo got QUIT; exit 3' QUIT; trap 'echo got TERM; exit 4' TERM
kill -TERM 1; while :; do sleep 0.05 & wait $!; done`
				r := run(t, 60*time.Second, append(rw, "sh", "-c", script)...)
				if r.Code != 3 || r.Stdout != "got QUIT\n" || r.Stderr != "" {
					t.Fatalf("got code %d stdout %q stderr %q, want 3 %q %q", r.Code, r.Stdout, r.Stderr, "got QUIT\n", "")
				}
			})
		})
	}

	checkTreeUnchanged(t, before, treeListing(t, rootfs))
	checkUnchanged(t, bin, sum)
}
