package integration

import (
	"os"
	"strings"
	"testing"
	"time"
)

// unshareRootfsRecipe is docs/recipes.md's "unshare with a rootfs" recipe. It
// runs in a private mount namespace, so its mounts vanish with it. The rootfs
// has no file for tinit to be bound onto and must not get one, so tinit goes
// onto a fresh tmpfs on /run (what every container runtime puts there anyway;
// podman puts its init there too); /run/lock is recreated on it.
const unshareRootfsRecipe = `set -eu
rootfs=$1 tinit=$2; shift 2
mount -t tmpfs -o mode=0755,size=1m tinit-run "$rootfs/run"
mkdir -m 1777 "$rootfs/run/lock"
touch "$rootfs/run/tinit"
mount --bind "$tinit" "$rootfs/run/tinit"
mount -o remount,bind,ro "$rootfs/run/tinit"
exec unshare --root "$rootfs" --pid --fork --mount-proc /run/tinit -- "$@"`

// unshareRootfs runs cmd under tinit, pid 1 of a new pid namespace rooted at
// rootfs, with the recipe above.
func unshareRootfs(t *testing.T, rootfs, tinit string, cmd ...string) result {
	t.Helper()
	argv := append([]string{"unshare", "--mount", "--propagation", "private",
		"sh", "-c", unshareRootfsRecipe, "sh", rootfs, tinit}, cmd...)
	return run(t, 60*time.Second, argv...)
}

func TestTestbedUnshareRootfs(t *testing.T) {
	requireTool(t, "unshare", "util-linux")
	requireTool(t, "mount", "mount")
	if os.Geteuid() != 0 {
		skipOrFail(t, "the unshare rootfs recipe mounts in a private mount namespace and needs root")
	}
	rootfs := minbaseTree(t)
	bin, sum := tinitCopy(t)
	before := treeListing(t, rootfs)
	checkNoTinit(t, before)

	t.Run("probe", func(t *testing.T) {
		r := unshareRootfs(t, rootfs, bin, probeArgv("/run/tinit")...)
		checkProbe(t, r, "/run/tinit", sum)
	})
	t.Run("signal", func(t *testing.T) {
		r := unshareRootfs(t, rootfs, bin, "sh", "-c", "echo before; kill -TERM $$; echo after")
		if r.Code != 143 || r.Stdout != "before\n" || r.Stderr != "" {
			t.Fatalf("got code %d stdout %q stderr %q, want 143 %q %q", r.Code, r.Stdout, r.Stderr, "before\n", "")
		}
	})
	t.Run("no-mounts-left", func(t *testing.T) {
		// The recipe's mounts live in its own mount namespace; none may
		// show up in the caller's.
		b, err := os.ReadFile("/proc/self/mountinfo")
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], rootfs) {
				t.Fatalf("a mount under the rootfs is visible outside: %s", line)
			}
		}
	})

	checkTreeUnchanged(t, before, treeListing(t, rootfs))
	checkUnchanged(t, bin, sum)
}
