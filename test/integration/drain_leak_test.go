package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// drainReportJSON is the --report object as a CI system decodes it.
type drainReportJSON struct {
	Command    []string `json:"command"`
	ExitStatus int      `json:"exit_status"`
	MainChild  struct {
		PID      int     `json:"pid"`
		ExitCode *int    `json:"exit_code"`
		Signal   *string `json:"signal"`
	} `json:"main_child"`
	MainMs  int64           `json:"main_ms"`
	DrainMs int64           `json:"drain_ms"`
	TotalMs int64           `json:"total_ms"`
	Leaked  []drainLeakJSON `json:"leaked"`
}

type drainLeakJSON struct {
	PID     int      `json:"pid"`
	PPID    int      `json:"ppid"`
	State   string   `json:"state"`
	Cmdline []string `json:"cmdline"`
	Holds   []struct {
		Stream string `json:"stream"`
		Fd     int    `json:"fd"`
	} `json:"holds"`
	Feeds  []int   `json:"feeds"`
	Relay  bool    `json:"relay"`
	Signal *string `json:"signal"`
}

func drainReadReport(t *testing.T, path string) drainReportJSON {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no report: %v", err)
	}
	var r drainReportJSON
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, b)
	}
	return r
}

// leakedBy finds the leaked process whose command line is cmd.
func (r drainReportJSON) leakedBy(cmd string) *drainLeakJSON {
	for i, l := range r.Leaked {
		if strings.Join(l.Cmdline, " ") == cmd {
			return &r.Leaked[i]
		}
	}
	return nil
}

func drainSig(s *string) string {
	if s == nil {
		return "null"
	}
	return *s
}

// A test that leaks a late writer: its line arrives, and tinit waited for
// it within the default grace, with nothing to report.
func TestDrainLateWriterDefaultGrace(t *testing.T) {
	r := inNS(t, 30*time.Second, "sh", "-c", "(sleep 0.5; echo late) & echo early; exit 3")
	if r.Stdout != "early\nlate\n" || r.Code != 3 || r.Stderr != "" {
		t.Fatalf("stdout %q code %d stderr %q; want early, late, 3 and a quiet stderr", r.Stdout, r.Code, r.Stderr)
	}
	if r.Elapsed < 500*time.Millisecond {
		t.Fatalf("tinit exited after %v, before the late writer could write", r.Elapsed)
	}
}

// A leaked `sleep 1000` holding the output is named with its pid, on
// stderr and in the JSON report, and ended quickly with --grace 200ms
// --kill-after 200ms; tinit keeps the main child's status.
func TestDrainLeakedSleepReported(t *testing.T) {
	dir := t.TempDir()
	rep, pidFile := filepath.Join(dir, "report.json"), filepath.Join(dir, "pid")
	r := inNS(t, 30*time.Second, "--grace", "200ms", "--kill-after", "200ms", "--report", rep, "--",
		"sh", "-c", "sleep 1000 & echo $! >"+sh(pidFile)+"; echo main; exit 4")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if r.Code != 4 || r.Stdout != "main\n" {
		t.Fatalf("code %d stdout %q, want 4 and main\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	}
	if r.Elapsed > 2500*time.Millisecond {
		t.Fatalf("tinit took %v to end one leaked sleep", r.Elapsed)
	}
	t.Logf("tinit exited after %v; its report:\n%s", r.Elapsed, r.Stderr)
	line := strconv.Itoa(pid) + " [sleeping] sleep 1000  <- holds stdout (fd 1), holds stderr (fd 2)"
	if !strings.Contains(r.Stderr, line) {
		t.Fatalf("stderr does not name the leaked sleep as %q:\n%s", line, r.Stderr)
	}
	j := drainReadReport(t, rep)
	l := j.leakedBy("sleep 1000")
	if j.ExitStatus != 4 || j.MainChild.ExitCode == nil || *j.MainChild.ExitCode != 4 || j.MainChild.Signal != nil ||
		len(j.Leaked) != 1 || l == nil {
		t.Fatalf("report: %+v", j)
	}
	if l.PID != pid || l.PPID != 1 || l.State != "S" || l.Relay || drainSig(l.Signal) != "SIGTERM" ||
		len(l.Holds) != 2 || l.Holds[0].Stream != "stdout" || l.Holds[0].Fd != 1 || l.Holds[1].Stream != "stderr" {
		t.Fatalf("leaked sleep in the report: %+v", *l)
	}
	if j.DrainMs < 150 || j.TotalMs < j.MainMs+j.DrainMs {
		t.Fatalf("durations: main %d drain %d total %d ms", j.MainMs, j.DrainMs, j.TotalMs)
	}
}

// Each kind of leaker ends the way the issue says, in bounded time, and no
// byte a relay holds is lost.
func TestDrainLeakers(t *testing.T) {
	requireTool(t, "setsid", "util-linux")
	cases := []struct {
		name   string
		script string
		opts   []string
		stdout string
		cmd    string // the leaked command line to find in the report
		signal string // the last signal it got
		state  string
		min    time.Duration
		max    time.Duration
	}{
		{name: "ignores TERM", script: `(trap "" TERM; exec sleep 1000) & echo main`,
			opts: []string{"--grace", "200ms", "--kill-after", "700ms"}, stdout: "main\n",
			cmd: "sleep 1000", signal: "SIGKILL", state: "S", min: 900 * time.Millisecond, max: 4 * time.Second},
		{name: "stopped", script: `sh -c 'kill -STOP $$; echo resumed' & p=$!
			until [ "$(cut -d" " -f3 /proc/$p/stat)" = T ]; do sleep 0.01; done; echo main`,
			opts: []string{"--grace", "200ms", "--kill-after", "5s"}, stdout: "main\n",
			cmd: "sh -c kill -STOP $$; echo resumed", signal: "SIGTERM", state: "T", max: 3 * time.Second},
		{name: "setsid", script: `setsid sleep 1000 & echo main`,
			opts: []string{"--grace", "200ms", "--kill-after", "5s"}, stdout: "main\n",
			cmd: "sleep 1000", signal: "SIGTERM", state: "S", max: 3 * time.Second},
		{name: "double fork", script: `sh -c 'sleep 1000 & exit 0'; echo main`,
			opts: []string{"--grace", "200ms", "--kill-after", "5s"}, stdout: "main\n",
			cmd: "sleep 1000", signal: "SIGTERM", state: "S", max: 3 * time.Second},
		{name: "forks every 10ms", script: `sh -c 'while :; do sleep 1000 & sleep 0.01; done' & echo main`,
			opts: []string{"--grace", "200ms", "--kill-after", "1s"}, stdout: "main\n",
			cmd: "sleep 1000", max: 5 * time.Second},
		{name: "forks every 10ms ignoring TERM", script: `(trap "" TERM; while :; do sleep 1000 & sleep 0.01; done) & echo main`,
			opts: []string{"--grace", "200ms", "--kill-after", "500ms"}, stdout: "main\n",
			cmd: "sleep 1000", signal: "SIGKILL", min: 700 * time.Millisecond, max: 5 * time.Second},
		{name: "relay chain", script: `(sleep 1; echo deep) | cat & echo main`,
			stdout: "main\ndeep\n", min: time.Second, max: 5 * time.Second},
		{name: "relay holding data", script: `(echo deep; exec sleep 1000) | sort & echo main`,
			opts: []string{"--grace", "200ms", "--kill-after", "5s"}, stdout: "main\ndeep\n",
			cmd: "sleep 1000", signal: "SIGTERM", state: "S", max: 3 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rep := filepath.Join(t.TempDir(), "report.json")
			args := append(append([]string{"--report", rep}, c.opts...), "--", "sh", "-c", c.script+"; exit 7")
			r := inNS(t, 30*time.Second, args...)
			t.Logf("after %v, stderr:\n%s", r.Elapsed, r.Stderr)
			if r.Code != 7 || r.Stdout != c.stdout {
				t.Fatalf("code %d stdout %q, want 7 and %q", r.Code, r.Stdout, c.stdout)
			}
			if r.Elapsed < c.min || r.Elapsed > c.max {
				t.Fatalf("tinit exited after %v, want between %v and %v", r.Elapsed, c.min, c.max)
			}
			j := drainReadReport(t, rep)
			if c.cmd == "" {
				if len(j.Leaked) != 0 {
					t.Fatalf("nothing should have been ended: %+v", j.Leaked)
				}
				return
			}
			l := j.leakedBy(c.cmd)
			if l == nil {
				t.Fatalf("the report does not name %q: %+v", c.cmd, j.Leaked)
			}
			if c.signal != "" && drainSig(l.Signal) != c.signal || c.state != "" && l.State != c.state {
				t.Fatalf("%q: state %s signal %s, want %s and %s", c.cmd, l.State, drainSig(l.Signal), c.state, c.signal)
			}
			if !strings.Contains(r.Stderr, strconv.Itoa(l.PID)+" [") {
				t.Fatalf("stderr does not show pid %d", l.PID)
			}
			// The report records only SIGTERM and SIGKILL: a relay's
			// SIGCONT, when it was stopped, is no ending.
			for _, o := range j.Leaked {
				if o.Relay && o.Signal != nil {
					t.Fatalf("relay %v was sent %s: it should end by itself at end of file", o.Cmdline, *o.Signal)
				}
			}
		})
	}
}
