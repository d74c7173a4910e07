package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// qemuArches are the foreign architectures tinit is run on under
// qemu-user-static, with the binfmt handler that runs each.
var qemuArches = []struct{ deb, handler string }{
	{"arm64", "qemu-aarch64"},
	{"armhf", "qemu-arm"},
	{"ppc64el", "qemu-ppc64le"},
	{"s390x", "qemu-s390x"},
	{"riscv64", "qemu-riscv64"},
}

const binfmtDir = "/proc/sys/fs/binfmt_misc"

func binfmtEnabled(name string) bool {
	b, err := os.ReadFile(filepath.Join(binfmtDir, name))
	return err == nil && strings.HasPrefix(string(b), "enabled\n")
}

// enableBinfmt makes the kernel run foreign ELF files through qemu, as a
// foreign-architecture testbed does: it mounts binfmt_misc if need be and
// enables the handlers qemu-user-static ships. Both are idempotent and are
// left in place for later runs.
func enableBinfmt(t *testing.T, handlers []string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(binfmtDir, "status")); err != nil {
		if os.Geteuid() != 0 {
			skipOrFail(t, "binfmt_misc is not mounted, and only root can mount it: mount -t binfmt_misc binfmt_misc "+binfmtDir)
		}
		r := run(t, 30*time.Second, "mount", "-t", "binfmt_misc", "binfmt_misc", binfmtDir)
		if _, err := os.Stat(filepath.Join(binfmtDir, "status")); err != nil {
			t.Fatalf("mounting binfmt_misc: code %d: %s", r.Code, r.Stderr)
		}
	}
	if !binfmtEnabled("status") {
		t.Fatalf("binfmt_misc is disabled as a whole (%s/status)", binfmtDir)
	}
	for _, h := range handlers {
		if binfmtEnabled(h) {
			continue
		}
		if os.Geteuid() != 0 {
			skipOrFail(t, "the binfmt handler "+h+" is not enabled, and only root can: update-binfmts --enable "+h)
		}
		r := run(t, 30*time.Second, "update-binfmts", "--enable", h)
		if !binfmtEnabled(h) {
			t.Fatalf("update-binfmts --enable %s: code %d: %s%s", h, r.Code, r.Stdout, r.Stderr)
		}
	}
}

// On each foreign architecture tinit, emulated by qemu-user, is pid 1 of a
// new pid namespace and passes exit codes through, reaps orphans and loses
// no output. Only tinit is emulated: the commands it runs are the host's.
func TestQemuForeignArch(t *testing.T) {
	var handlers []string
	for _, q := range qemuArches {
		requireTool(t, q.handler+"-static", "qemu-user-static")
		handlers = append(handlers, q.handler)
	}
	requireTool(t, "update-binfmts", "binfmt-support")
	enableBinfmt(t, handlers)
	ns := nsPrefix(t)
	d := buildDist(t)
	for _, q := range qemuArches {
		t.Run(q.deb, func(t *testing.T) {
			bin := filepath.Join(d, "tinit-"+q.deb)
			tinit := func(args ...string) result {
				t.Helper()
				return run(t, 60*time.Second, append(append(ns, bin), args...)...)
			}
			t.Run("exit", func(t *testing.T) {
				r := tinit("--", "/bin/sh", "-c", "readlink /proc/1/exe; exit 42")
				if !strings.Contains(r.Stdout, "qemu-") || r.Code != 42 || r.Stderr != "" {
					t.Fatalf("got stdout %q stderr %q code %d; want pid 1 to be qemu, no warning, code 42", r.Stdout, r.Stderr, r.Code)
				}
				r = tinit("--", "/bin/sh", "-c", "kill -TERM $$")
				if r.Code != 143 || r.Stderr != "" {
					t.Fatalf("killed by SIGTERM: code %d stderr %q, want 143", r.Code, r.Stderr)
				}
			})
			t.Run("reap", func(t *testing.T) {
				r := tinit("--", "/bin/sh", "-c", reapScript)
				want := "ppid 1\nppid 1\nppid 1\nzombies 0\n"
				if r.Stdout != want || r.Code != 0 || r.Stderr != "" {
					t.Fatalf("got stdout %q stderr %q code %d, want %q code 0", r.Stdout, r.Stderr, r.Code, want)
				}
			})
			t.Run("drain", func(t *testing.T) {
				r := tinit("--", "/bin/sh", "-c", "(sleep 0.3; echo late; echo late-err >&2) & echo early; exit 5")
				if r.Stdout != "early\nlate\n" || r.Stderr != "late-err\n" || r.Code != 5 {
					t.Fatalf("got stdout %q stderr %q code %d, want %q %q code 5", r.Stdout, r.Stderr, r.Code, "early\nlate\n", "late-err\n")
				}
			})
			t.Run("end-leak", func(t *testing.T) {
				r := tinit("--grace", "300ms", "--kill-after", "5s", "--", "/bin/sh", "-c", "sleep 60 & echo early; exit 7")
				if r.Stdout != "early\n" || r.Code != 7 || !strings.Contains(r.Stderr, "sleep 60  <- holds stdout") {
					t.Fatalf("got stdout %q stderr %q code %d, want %q code 7 and the holder named", r.Stdout, r.Stderr, r.Code, "early\n")
				}
				if r.Elapsed > 20*time.Second {
					t.Fatalf("took %v to end a leaked sleep", r.Elapsed)
				}
			})
		})
	}
}

// reapScript leaves three orphans to tinit, checks they were reparented to
// pid 1, ends them, waits for their /proc entries to go (only reaping
// removes a zombie's) and counts zombies left in the namespace.
const reapScript = `
pids=$( (sleep 60 >/dev/null 2>&1 & echo $!; sleep 60 >/dev/null 2>&1 & echo $!; sleep 60 >/dev/null 2>&1 & echo $!) )
for p in $pids; do
	s=$(cat /proc/$p/stat); s=${s##*) }; set -- $s; echo "ppid $2"
done
kill $pids
for p in $pids; do
	i=0
	while [ -e /proc/$p ] && [ $i -lt 2000 ]; do sleep 0.01; i=$((i+1)); done
	[ -e /proc/$p ] && echo "not reaped: $(cat /proc/$p/stat)"
done
z=0
for f in /proc/[0-9]*/stat; do
	s=$(cat $f 2>/dev/null) || continue
	case ${s##*) } in Z*) z=$((z+1));; esac
done
echo "zombies $z"
`
