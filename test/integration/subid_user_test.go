package integration

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// subidUserName is the unprivileged user the autopkgtest tests run as when
// the tests run as root: autopkgtest-virt-unshare maps the testbed with
// newuidmap, which needs a user with /etc/subuid and /etc/subgid ranges,
// and root has none.
const subidUserName = "tinit-apt"

// subidUser is someone allowed to map a range of ids into a user namespace.
type subidUser struct {
	Name     string
	Uid, Gid int
	Home     string
}

// asUser is argv run as u, with an environment of u's own: setpriv changes
// no more than the ids, so a root test can run autopkgtest unprivileged.
func (u subidUser) asUser(argv ...string) []string {
	pre := []string{"env", "-i", "HOME=" + u.Home, "USER=" + u.Name, "LOGNAME=" + u.Name,
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	if os.Geteuid() == 0 {
		pre = append([]string{"setpriv", "--reuid", strconv.Itoa(u.Uid), "--regid", strconv.Itoa(u.Gid),
			"--init-groups"}, pre...)
	}
	return append(pre, argv...)
}

// requireSubidUser returns a user with subordinate id ranges. As root it
// creates subidUserName and its ranges when they are missing (idempotent,
// serialised by a lock); otherwise the current user must have ranges.
func requireSubidUser(t testing.TB) subidUser {
	t.Helper()
	requireTool(t, "newuidmap", "uidmap")
	requireTool(t, "setpriv", "util-linux")
	if os.Geteuid() != 0 {
		me, err := user.Current()
		if err != nil {
			t.Fatal(err)
		}
		u := lookupSubidUser(t, me)
		if !hasSubidRange("/etc/subuid", u) || !hasSubidRange("/etc/subgid", u) {
			skipOrFail(t, fmt.Sprintf("user %s has no ranges in /etc/subuid and /etc/subgid (run the tests as root, or add ranges with usermod --add-subuids/--add-subgids)", me.Username))
		}
		return u
	}
	requireTool(t, "useradd", "passwd")
	requireTool(t, "usermod", "passwd")
	lock, err := os.OpenFile(filepath.Join(rootfsCacheDir(t), ".subid-user.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatalf("user lock: %v", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatalf("user lock: %v", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)

	if _, err := user.Lookup(subidUserName); err != nil {
		r := run(t, time.Minute, "useradd", "--create-home", "--shell", "/bin/sh", subidUserName)
		if r.Code != 0 {
			t.Fatalf("useradd %s: %d\n%s", subidUserName, r.Code, r.Stderr)
		}
	}
	pw, err := user.Lookup(subidUserName)
	if err != nil {
		t.Fatal(err)
	}
	u := lookupSubidUser(t, pw)
	// useradd allocates ranges itself where login.defs asks it to (as on
	// Debian); elsewhere they are added after everyone else's.
	for _, f := range []struct{ file, flag string }{
		{"/etc/subuid", "--add-subuids"},
		{"/etc/subgid", "--add-subgids"},
	} {
		if hasSubidRange(f.file, u) {
			continue
		}
		start := nextFreeSubid(t, f.file)
		rng := fmt.Sprintf("%d-%d", start, start+65535)
		r := run(t, time.Minute, "usermod", f.flag, rng, u.Name)
		if r.Code != 0 {
			t.Fatalf("usermod %s %s %s: %d\n%s", f.flag, rng, u.Name, r.Code, r.Stderr)
		}
	}
	return u
}

func lookupSubidUser(t testing.TB, pw *user.User) subidUser {
	t.Helper()
	uid, err1 := strconv.Atoi(pw.Uid)
	gid, err2 := strconv.Atoi(pw.Gid)
	if err1 != nil || err2 != nil {
		t.Fatalf("user %s has ids %q/%q", pw.Username, pw.Uid, pw.Gid)
	}
	return subidUser{Name: pw.Username, Uid: uid, Gid: gid, Home: pw.HomeDir}
}

// subidRanges reads NAME:START:COUNT lines.
func subidRanges(file string) [][3]string {
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out [][3]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.Split(strings.TrimSpace(sc.Text()), ":")
		if len(p) == 3 {
			out = append(out, [3]string{p[0], p[1], p[2]})
		}
	}
	return out
}

// hasSubidRange is true when file gives u (by name or uid) at least the
// 65536 ids a Debian rootfs needs.
func hasSubidRange(file string, u subidUser) bool {
	for _, r := range subidRanges(file) {
		n, err := strconv.Atoi(r[2])
		if (r[0] == u.Name || r[0] == strconv.Itoa(u.Uid)) && err == nil && n >= 65536 {
			return true
		}
	}
	return false
}

// nextFreeSubid is the first id after every range in file, at least 100000
// (where login.defs starts them).
func nextFreeSubid(t testing.TB, file string) int {
	t.Helper()
	next := 100000
	for _, r := range subidRanges(file) {
		s, err1 := strconv.Atoi(r[1])
		n, err2 := strconv.Atoi(r[2])
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: malformed range %v", file, r)
		}
		if s+n > next {
			next = s + n
		}
	}
	return next
}

// requireUserNS skips (or fails in CI) unless u can map its ranges into a
// new user namespace, as autopkgtest-virt-unshare does.
func requireUserNS(t testing.TB, u subidUser) {
	t.Helper()
	argv := u.asUser("unshare", "--map-auto", "--map-root-user", "--user", "--mount", "--pid", "--fork", "true")
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = "/"
	if b, err := cmd.CombinedOutput(); err != nil {
		skipOrFail(t, fmt.Sprintf("user %s cannot make a user namespace with its subordinate ids: %v\n%s", u.Name, err, b))
	}
}
