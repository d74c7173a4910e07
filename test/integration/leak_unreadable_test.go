package integration

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestLeakUnreadableFdsReported: tinit runs unprivileged (as nobody, a
// plain subreaper) and a leak makes itself undumpable (PR_SET_DUMPABLE 0),
// so tinit may not read its fds and cannot tell whether it holds the
// output. It is ended as a bystander, and what is said of it is true: stderr
// draws it with "its fds cannot be read", and --report lists it as leaked,
// with fds_unreadable and the signal that ended it.
func TestLeakUnreadableFdsReported(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run tinit as nobody")
	}
	requireTool(t, "setpriv", "util-linux")
	py, err := exec.LookPath("/usr/bin/python3")
	if err != nil {
		skipOrFail(t, "no /usr/bin/python3 that nobody may run")
	}
	mark := newMark(t)
	leak := `import ctypes, time; ctypes.CDLL(None).prctl(4, 0, 0, 0, 0); time.sleep(1000)`
	script := sh("bash", "-c", `exec -a "$0" "$1" -c "$2"`, mark, py, leak) + ` & sleep 0.3; echo main; exit 3`
	rep := openDir(t) + "/report.json"
	nobody := coreMode{"nobody", false}
	p := startCore(t, nobody, func(c *exec.Cmd) {
		c.Args = append([]string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}, c.Args...)
		c.Path, _ = exec.LookPath("setpriv")
	}, "--grace", "300ms", "--kill-after", "1s", "--report", rep, "--", "sh", "-c", script)
	r := p.wait(t, 20*time.Second)
	if r.Code != 3 || r.Stdout != "main\n" {
		t.Fatalf("exit %d, stdout %q, want 3 and main\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	}
	if !strings.Contains(r.Stderr, " "+mark+" -c ") || !strings.Contains(r.Stderr, "<- its fds cannot be read") {
		t.Errorf("stderr does not draw the leak as one whose fds cannot be read:\n%s", r.Stderr)
	}
	b, err := os.ReadFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Leaked []struct {
			Cmdline       []string `json:"cmdline"`
			FdsUnreadable bool     `json:"fds_unreadable"`
			Signal        *string  `json:"signal"`
		} `json:"leaked"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Leaked) != 1 || len(got.Leaked[0].Cmdline) == 0 || got.Leaked[0].Cmdline[0] != mark ||
		!got.Leaked[0].FdsUnreadable || got.Leaked[0].Signal == nil || *got.Leaked[0].Signal != "SIGTERM" {
		t.Errorf("report's leaked list is not the one undumpable leak, ended by SIGTERM:\n%s\nstderr:\n%s", b, r.Stderr)
	}
}
