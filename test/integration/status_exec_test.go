package integration

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestStatusExecvpRules: tinit finds and starts the command as execvp(3)
// does, as bash, tini and env do: an empty name is not found (127), a
// script without "#!" runs with /bin/sh, and an empty PATH, or an empty
// element of PATH, means the working directory.
func TestStatusExecvpRules(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "noshebang")
	if err := os.WriteFile(script, []byte("echo \"ran $0 $1 $2\"\nexit 7\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "here"), []byte("#!/bin/sh\necho here \"$@\"\nexit 5\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name         string
		args         []string
		env          []string
		code         int
		stdout, want string // want: tinit's stderr
	}{
		{"empty name", []string{"--", ""}, nil, 127, "", "tinit: cannot run \"\": command not found\n"},
		{"empty name in PATH", []string{""}, []string{"PATH=" + dir}, 127, "", "tinit: cannot run \"\": command not found\n"},
		{"no #!", []string{script, "a", "b c"}, nil, 7, "ran " + script + " a b c\n", ""},
		{"no #! in PATH", []string{"noshebang", "x"}, []string{"PATH=/nonexistent:" + dir}, 7, "ran " + dir + "/noshebang x \n", ""},
		{"empty PATH", []string{"here", "1"}, []string{"PATH="}, 5, "here 1\n", ""},
		{"empty leading element", []string{"here", "2"}, []string{"PATH=:/nonexistent"}, 5, "here 2\n", ""},
		{"empty middle element", []string{"here", "3"}, []string{"PATH=/nonexistent::/bin"}, 5, "here 3\n", ""},
		{"empty trailing element", []string{"here", "4"}, []string{"PATH=/nonexistent:"}, 5, "here 4\n", ""},
		{"no empty element", []string{"here"}, []string{"PATH=/nonexistent"}, 127, "", "tinit: cannot run here: command not found\n"},
		{"element not a directory", []string{"here"}, []string{"PATH=/dev/null:/nonexistent"}, 127, "", "tinit: cannot run here: command not found\n"},
	}
	forCoreModes(t, func(t *testing.T, m coreMode) {
		for _, c := range cases {
			cmd := withEnv(m.argv(t, c.args...), c.env...)
			cmd.Dir = dir
			r := runCmd(t, 20*time.Second, cmd)
			if r.Code != c.code || r.Stdout != c.stdout || r.Stderr != c.want {
				t.Errorf("%s %q %q: code %d stdout %q stderr %q, want %d %q %q", c.name, c.args, c.env, r.Code, r.Stdout, r.Stderr, c.code, c.stdout, c.want)
			}
		}
	})
}

// TestStatusOwnFailuresAre125: when tinit runs out of file descriptors
// while it starts the child, that is tinit's failure, not the command's:
// exit 125 with one line, never 126, never a Go crash. Each low limit either
// runs the command or fails that way, and some limit reaches the start of
// the child itself.
func TestStatusOwnFailuresAre125(t *testing.T) {
	sawStart := false
	forCoreModes(t, func(t *testing.T, m coreMode) {
		for n := 3; n <= 24; n++ {
			argv := append([]string{"sh", "-c", "ulimit -n " + strconv.Itoa(n) + " && exec \"$@\"", "sh"}, m.argv(t, "true")...)
			if m.ns {
				// The limit must bind tinit, not unshare.
				argv = append(append(nsPrefix(t), "sh", "-c", "ulimit -n "+strconv.Itoa(n)+" && exec \"$@\"", "sh"), tinitBin, "true")
			}
			r := run(t, 20*time.Second, argv...)
			switch {
			case r.Code == 0 && r.Stderr == "":
			case r.Code == 125 && strings.HasPrefix(r.Stderr, "tinit: ") && strings.Count(r.Stderr, "\n") == 1 && strings.HasSuffix(r.Stderr, "\n"):
				if r.Stderr == "tinit: cannot start true: too many open files\n" {
					sawStart = true
				}
			default:
				t.Errorf("ulimit -n %d: code %d stderr %.300q, want 0 or 125 with one tinit: line", n, r.Code, r.Stderr)
			}
		}
	})
	if !sawStart {
		t.Errorf("no limit reached the start of the child (\"tinit: cannot start true: too many open files\")")
	}
	// The floor docs/limits.md gives.
	r := run(t, 20*time.Second, "sh", "-c", "ulimit -n 16 && exec \"$@\"", "sh", tinitBin, "--grace", "100ms", "--kill-after", "100ms", "sh", "-c", "sleep 10 & echo x; exit 3")
	if r.Code != 3 || r.Stdout != "x\n" {
		t.Errorf("ulimit -n 16: code %d stdout %q stderr %.300q, want 3 \"x\\n\"", r.Code, r.Stdout, r.Stderr)
	}
}

// TestStatusLowProcessLimit: under RLIMIT_NPROC a user too close to the
// limit for tinit's 10 threads and the command gets 125 and one line, not
// a runtime crash; with room for them, tinit runs. Below 5 tasks the
// runtime itself may fail to start, before any of tinit's code runs. The uid is
// one nothing else runs as, since the limit counts every task of the user.
// At the lowest limits tinit has no room for one more thread, even to say
// why it stops: those run 10 times, as the runtime starts a varying number
// of threads of its own first.
func TestStatusLowProcessLimit(t *testing.T) {
	requireTool(t, "setpriv", "util-linux")
	if os.Geteuid() != 0 {
		t.Skip("needs root to become an unused uid")
	}
	bin := worldTinit(t)
	const uid = "64123"
	lim := func(u int) result {
		return run(t, 20*time.Second, "setpriv", "--reuid", uid, "--regid", uid, "--clear-groups",
			"bash", "-c", "ulimit -u "+strconv.Itoa(u)+" && exec \"$@\"", "sh", bin, "sh", "-c", "echo x; exit 3")
	}
	for u := 3; u <= 16; u++ {
		tries := 1
		if u >= 4 && u <= 6 {
			tries = 10
		}
		said := 0
		for range tries {
			r := lim(u)
			if !checkProcessLimit(t, u, uid, r) {
				break
			}
			if r.Code == 125 {
				said++
			}
		}
		// At 4 tasks the runtime has usually made its own threads and
		// left tinit none more: tinit must still say why it stops
		// (locking a thread to say it crashed 40 runs of 40).
		if u == 4 && said == 0 {
			t.Errorf("ulimit -u 4: the runtime's own failure in all %d runs, never tinit's line", tries)
		}
	}
}

// checkProcessLimit checks one run of TestStatusLowProcessLimit under
// `ulimit -u u`, and tells whether it was as wanted.
func checkProcessLimit(t *testing.T, u int, uid string, r result) bool {
	t.Helper()
	tooFew := "tinit: too many processes: RLIMIT_NPROC is " + strconv.Itoa(u) + " and user " + uid + " runs "
	said := r.Code == 125 && strings.HasPrefix(r.Stderr, tooFew) && strings.Count(r.Stderr, "\n") == 1
	switch {
	case u <= 4:
		// The runtime may or may not have made its own threads
		// before tinit's code runs.
		crashed := r.Code == 2 && strings.Contains(r.Stderr, "fatal error: newosproc")
		if !crashed && !said {
			t.Errorf("ulimit -u %d: code %d stderr %.300q, want the runtime's own start-up failure or 125 and one line %q...", u, r.Code, r.Stderr, tooFew)
			return false
		}
	case u < 11:
		if !said {
			t.Errorf("ulimit -u %d: code %d stderr %.300q, want 125 and one line %q...", u, r.Code, r.Stderr, tooFew)
			return false
		}
	default:
		if r.Code != 3 || r.Stdout != "x\n" || r.Stderr != "" {
			t.Errorf("ulimit -u %d: code %d stdout %q stderr %.300q, want 3 and x", u, r.Code, r.Stdout, r.Stderr)
			return false
		}
	}
	return true
}

// TestStatusAddressSpaceFloor: tinit runs, ending leaked holders, under
// the address-space limit docs/limits.md gives as its floor.
func TestStatusAddressSpaceFloor(t *testing.T) {
	r := run(t, 30*time.Second, "sh", "-c", "ulimit -v 800000 && exec \"$@\"", "sh", tinitBin, "--grace", "100ms", "--kill-after", "100ms",
		"sh", "-c", "for i in $(seq 100); do sleep 10 & done; echo x; exit 3")
	if r.Code != 3 || r.Stdout != "x\n" {
		t.Errorf("ulimit -v 800000: code %d stdout %q stderr %.300q", r.Code, r.Stdout, r.Stderr)
	}
}

// A command name of 100 KB that cannot run is named in a line a person can
// read: cut to 200 bytes, with the reason after it. A name without "/"
// longer than a file name can be is in no directory of PATH: as in bash it
// is not found (127), not a "file name too long" of the search.
func TestStatusLongNameOneShortLine(t *testing.T) {
	name := strings.Repeat("a", 100000)
	r := run(t, 20*time.Second, tinitBin, "--", name)
	want := "tinit: cannot run " + strings.Repeat("a", 200) + "…: command not found\n"
	if r.Code != 127 || r.Stderr != want {
		t.Errorf("code %d stderr %.300q (%d bytes), want 127 and %q", r.Code, r.Stderr, len(r.Stderr), want[:60])
	}
}

// TestStatusLongNameNotFound: a name of 256 bytes without "/" is not found,
// 127, as pid 1 and as a subreaper, as bash says for it; with a "/" the
// kernel's "file name too long" is the truth, and 126, as in bash.
func TestStatusLongNameNotFound(t *testing.T) {
	long := strings.Repeat("b", 256)
	cases := []struct {
		name string
		code int
		want string
	}{
		{long, 127, "tinit: cannot run " + long[:200] + "…: command not found\n"},
		{"./" + long, 126, "tinit: cannot run ./" + long[:198] + "…: file name too long\n"},
	}
	forCoreModes(t, func(t *testing.T, m coreMode) {
		for _, c := range cases {
			cmd := withEnv(m.argv(t, "--", c.name), "PATH=/nonexistent:/usr/bin:/bin")
			cmd.Dir = t.TempDir()
			r := runCmd(t, 20*time.Second, cmd)
			if r.Code != c.code || r.Stderr != c.want {
				t.Errorf("%.20s...: code %d stderr %q, want %d and %q", c.name, r.Code, r.Stderr, c.code, c.want)
			}
		}
	})
}
