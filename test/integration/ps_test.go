package integration

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
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

// psScript is the main child of the testbed: it leaks one process of each
// kind tinit ps explains, says ready, and exits 3 once its stdin closes.
//   - sleep 1000: a background job holding stdout only
//   - sleep 1001: a setsid daemon, orphaned at once, holding stderr only
//   - sleep 1002: an orphan holding nothing, whose child sh is a zombie it
//     never waits for: the child exits only once its parent has exec'd
//     sleep, so no shell can reap it first. An orphaned zombie proper
//     cannot be shown: tinit reaps it at once.
//   - (sleep 1003) | cat: sleep holds stderr and feeds cat, a relay holding
//     stdout and stderr
const psScript = `sleep 1000 2>/dev/null &
(setsid sleep 1001 >/dev/null &)
(sh -c 'sh -c "until [ \"\$(cat /proc/\$PPID/comm)\" = sleep ]; do sleep 0.01; done" & exec sleep 1002' >/dev/null 2>&1 &)
(sleep 1003) | cat &
echo ready
read x
exit 3
`

// psBed is tinit as pid 1 of a new pid namespace running psScript.
type psBed struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	hostPID int // tinit's pid outside the namespace
	script  string
	done    chan error
}

func startPsBed(t *testing.T) *psBed {
	t.Helper()
	requireTool(t, "nsenter", "util-linux")
	requireTool(t, "setsid", "util-linux")
	dir := t.TempDir()
	script := filepath.Join(dir, "leaks.sh")
	if err := os.WriteFile(script, []byte(psScript), 0o644); err != nil {
		t.Fatal(err)
	}
	argv := append(nsPrefix(t), tinitBin, "--grace", "60s", "--", "sh", script)
	b := &psBed{cmd: exec.Command(argv[0], argv[1:]...), script: script, done: make(chan error, 1)}
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	b.cmd.Stderr = os.Stderr
	var err error
	if b.stdin, err = b.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := b.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { b.done <- b.cmd.Wait() }()
	t.Cleanup(func() { b.stop(t) })
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		ready <- line
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case line := <-ready:
		if line != "ready\n" {
			t.Fatalf("the testbed said %q, not ready", line)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the testbed did not get ready within 20s")
	}
	kids, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", b.cmd.Process.Pid, b.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	if b.hostPID, err = strconv.Atoi(strings.TrimSpace(string(kids))); err != nil {
		t.Fatalf("unshare's children: %q", kids)
	}
	return b
}

// stop ends the namespace: SIGKILL to its pid 1 kills everything in it.
func (b *psBed) stop(t *testing.T) {
	if b.hostPID > 0 {
		_ = syscall.Kill(b.hostPID, syscall.SIGKILL)
	}
	_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-b.done:
	case <-time.After(20 * time.Second):
		t.Errorf("the testbed did not end within 20s of SIGKILL")
	}
}

// ps runs tinit ps with args inside the testbed's namespaces.
func (b *psBed) ps(t *testing.T, args ...string) result {
	t.Helper()
	argv := []string{"nsenter", "--target", strconv.Itoa(b.hostPID), "--pid", "--mount"}
	if os.Geteuid() != 0 {
		argv = append(argv, "--user", "--preserve-credentials")
	}
	argv = append(append(argv, tinitBin, "ps"), args...)
	return run(t, 20*time.Second, argv...)
}

// psJSON is the documented schema of tinit ps --json; decoding is strict
// about names, and psCheckSchema about presence and types.
type psJSON struct {
	Tinit   psJSONProc `json:"tinit"`
	Streams []struct {
		Name    string `json:"name"`
		Fd      int    `json:"fd"`
		Inode   uint64 `json:"inode"`
		Holders []int  `json:"holders"`
	} `json:"streams"`
	Pause     bool `json:"pause"`
	MainChild struct {
		Exited bool   `json:"exited"`
		PID    *int   `json:"pid"`
		AgeMs  *int64 `json:"age_ms"`
	} `json:"main_child"`
	Processes []psJSONProc `json:"processes"`
	Summary   string       `json:"summary"`
}

type psJSONProc struct {
	PID       int      `json:"pid"`
	PPID      int      `json:"ppid"`
	Depth     int      `json:"depth"`
	State     string   `json:"state"`
	AgeMs     int64    `json:"age_ms"`
	Comm      string   `json:"comm"`
	Cmdline   []string `json:"cmdline"`
	MainChild bool     `json:"main_child"`
	Orphan    bool     `json:"orphan"`
	Holds     []struct {
		Stream string `json:"stream"`
		Fd     int    `json:"fd"`
	} `json:"holds"`
	Feeds []int `json:"feeds"`
	Relay bool  `json:"relay"`
}

// psSchema lists every field and its JSON type; "int" is a whole number.
var psSchema = map[string]map[string]string{
	"top": {"tinit": "object", "streams": "array", "pause": "bool", "main_child": "object|null", "processes": "array",
		"summary": "string"},
	"tinit":      {"pid": "int", "state": "string", "age_ms": "int", "comm": "string", "cmdline": "array"},
	"stream":     {"name": "string", "fd": "int", "inode": "int", "holders": "array"},
	"main_child": {"exited": "bool", "pid": "int|null", "age_ms": "int|null"},
	"process": {"pid": "int", "ppid": "int", "depth": "int", "state": "string", "age_ms": "int", "comm": "string",
		"cmdline": "array", "main_child": "bool", "orphan": "bool", "holds": "array", "feeds": "array", "relay": "bool"},
	"hold": {"stream": "string", "fd": "int"},
}

func psCheckSchema(t *testing.T, raw []byte) psJSON {
	t.Helper()
	var top map[string]any
	if err := json.Unmarshal(raw, &top); err != nil {
		t.Fatalf("tinit ps --json is not JSON: %v\n%s", err, raw)
	}
	check := func(where, kind string, obj any) {
		m, ok := obj.(map[string]any)
		if !ok {
			t.Fatalf("%s is not an object: %v", where, obj)
		}
		want := psSchema[kind]
		for k := range m {
			if _, ok := want[k]; !ok {
				t.Errorf("%s has a field %q the schema does not name", where, k)
			}
		}
		for k, typ := range want {
			v, ok := m[k]
			if !ok {
				t.Errorf("%s lacks %q", where, k)
				continue
			}
			if got := psJSONType(v); !strings.Contains("|"+typ+"|", "|"+got+"|") {
				t.Errorf("%s.%s is %s (%v), want %s", where, k, got, v, typ)
			}
		}
	}
	check("the object", "top", top)
	check("tinit", "tinit", top["tinit"])
	if top["main_child"] != nil {
		check("main_child", "main_child", top["main_child"])
	}
	for i, s := range top["streams"].([]any) {
		check(fmt.Sprintf("streams[%d]", i), "stream", s)
	}
	for i, p := range top["processes"].([]any) {
		where := fmt.Sprintf("processes[%d]", i)
		check(where, "process", p)
		for j, h := range p.(map[string]any)["holds"].([]any) {
			check(fmt.Sprintf("%s.holds[%d]", where, j), "hold", h)
		}
		for _, a := range p.(map[string]any)["cmdline"].([]any) {
			if psJSONType(a) != "string" {
				t.Errorf("%s.cmdline holds %v", where, a)
			}
		}
	}
	var v psJSON
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decoding: %v", err)
	}
	return v
}

func psJSONType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case float64:
		if x == float64(int64(x)) {
			return "int"
		}
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

// psWant is what the test expects of one process.
type psWant struct {
	depth int
	state string // "live" for running or sleeping: a sample cannot tell
	rest  string // the line after "PID [STATE, AGE] "
}

func psStateOK(want, got string) bool {
	return got == want || (want == "live" && (got == "running" || got == "sleeping"))
}

// psUntil runs tinit ps --json until ok says the state is complete: the
// leaked processes exec and the zombie dies on their own schedule.
func (b *psBed) psUntil(t *testing.T, ok func(psJSON) bool) psJSON {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := b.ps(t, "--json")
		if r.Code != 0 || r.Stderr != "" {
			t.Fatalf("tinit ps --json: code %d, stderr %q", r.Code, r.Stderr)
		}
		v := psCheckSchema(t, []byte(r.Stdout))
		if ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("the testbed never got to the expected state:\n%s", r.Stdout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// psByCmd finds the one process whose command line is cmd.
func psByCmd(v psJSON, cmd string) (psJSONProc, bool) {
	for _, p := range v.Processes {
		if strings.Join(p.Cmdline, " ") == cmd {
			return p, true
		}
	}
	return psJSONProc{}, false
}

func psZombie(v psJSON) (psJSONProc, bool) {
	for _, p := range v.Processes {
		if p.State == "zombie" && p.Comm == "sh" {
			return p, true
		}
	}
	return psJSONProc{}, false
}

func psAllThere(v psJSON) bool {
	for _, c := range []string{"sleep 1000", "sleep 1001", "sleep 1002", "sleep 1003", "cat"} {
		if _, ok := psByCmd(v, c); !ok {
			return false
		}
	}
	_, ok := psZombie(v)
	return ok && !v.MainChild.Exited && len(v.Processes) == 7
}

var psLine = regexp.MustCompile(`^((?:[│├└ ]|─)*)(\d+) \[([a-z]+), (\d+(?:s|m\d\ds|h\d\dm|d\d\dh))\] (.*)$`)

// psCheckText checks tinit ps's text output against the JSON taken just
// before: the same processes, each line exactly as want says.
func psCheckText(t *testing.T, text string, v psJSON, want map[int]psWant, summary *regexp.Regexp) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != len(v.Processes)+2 {
		t.Fatalf("%d lines for %d processes below tinit:\n%s", len(lines), len(v.Processes), text)
	}
	if !summary.MatchString(lines[len(lines)-1]) {
		t.Errorf("summary %q does not match %s", lines[len(lines)-1], summary)
	}
	seen := map[int]bool{}
	for i, line := range lines[:len(lines)-1] {
		m := psLine.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("line %q is not PID [STATE, AGE] ...", line)
			continue
		}
		pid, _ := strconv.Atoi(m[2])
		depth := len([]rune(m[1])) / 3
		if i == 0 {
			if pid != 1 || depth != 0 || !strings.HasPrefix(m[5], tinitBin+" --grace 60s -- sh ") {
				t.Errorf("first line %q is not tinit", line)
			}
			continue
		}
		w, ok := want[pid]
		if !ok {
			t.Errorf("line %q is no process the test expects", line)
			continue
		}
		seen[pid] = true
		if depth != w.depth || !psStateOK(w.state, m[3]) || m[5] != w.rest {
			t.Errorf("line %q\nwant depth %d, state %s, then %q", line, w.depth, w.state, w.rest)
		}
	}
	for pid := range want {
		if !seen[pid] {
			t.Errorf("no line for %d (%q)", pid, want[pid].rest)
		}
	}
}

func TestPsShowsLeaksHoldersAndOrphans(t *testing.T) {
	b := startPsBed(t)

	// While the main child runs.
	v := b.psUntil(t, psAllThere)
	if v.Tinit.PID != 1 || v.Tinit.Comm != "tinit" || v.Tinit.Cmdline[0] != tinitBin {
		t.Errorf("tinit: %+v", v.Tinit)
	}
	if v.MainChild.Exited || v.MainChild.PID == nil || v.MainChild.AgeMs == nil {
		t.Fatalf("main child: %+v", v.MainChild)
	}
	mainPID := *v.MainChild.PID
	pid := func(cmd string) int {
		p, _ := psByCmd(v, cmd)
		return p.PID
	}
	zombie, _ := psZombie(v)
	sleep1000, daemon, parent, source, cat := pid("sleep 1000"), pid("sleep 1001"), pid("sleep 1002"), pid("sleep 1003"), pid("cat")
	shLine := "sh " + b.script
	main := psWant{1, "live", shLine + "  <- main child, holds stdout (fd 1), holds stderr (fd 2)"}
	want := map[int]psWant{
		mainPID:    main,
		sleep1000:  {2, "live", "sleep 1000  <- holds stdout (fd 1)"},
		daemon:     {1, "live", "sleep 1001  <- orphan, holds stderr (fd 2)"},
		parent:     {1, "live", "sleep 1002  <- orphan"},
		zombie.PID: {2, "zombie", "[sh]"},
		source:     {2, "live", "sleep 1003  <- holds stderr (fd 2), feeds " + strconv.Itoa(cat)},
		cat:        {2, "live", "cat  <- holds stdout (fd 1), holds stderr (fd 2), relay"},
	}
	if zombie.PPID != parent {
		t.Errorf("zombie %d has parent %d, want %d", zombie.PID, zombie.PPID, parent)
	}
	psCheckJSON(t, v, want, map[string][]int{
		"stdout": {mainPID, sleep1000, cat},
		"stderr": {mainPID, daemon, source, cat},
	})
	r := b.ps(t)
	if r.Code != 0 || r.Stderr != "" {
		t.Fatalf("tinit ps: code %d, stderr %q", r.Code, r.Stderr)
	}
	psCheckText(t, r.Stdout, v, want, regexp.MustCompile(
		`^3 processes hold stdout, 4 hold stderr; main child `+strconv.Itoa(mainPID)+` running for \d+s$`))

	// Once the main child has exited, its leaks are tinit's orphans.
	b.stdin.Close()
	v = b.psUntil(t, func(v psJSON) bool {
		_, left := psByCmd(v, shLine)
		return v.MainChild.Exited && v.MainChild.PID == nil && !left
	})
	if v.MainChild.PID != nil || v.MainChild.AgeMs != nil {
		t.Errorf("main child after it exited: %+v", v.MainChild)
	}
	delete(want, mainPID)
	want[sleep1000] = psWant{1, "live", "sleep 1000  <- orphan, holds stdout (fd 1)"}
	want[source] = psWant{1, "live", "sleep 1003  <- orphan, holds stderr (fd 2), feeds " + strconv.Itoa(cat)}
	want[cat] = psWant{1, "live", "cat  <- orphan, holds stdout (fd 1), holds stderr (fd 2), relay"}
	psCheckJSON(t, v, want, map[string][]int{
		"stdout": {sleep1000, cat},
		"stderr": {daemon, source, cat},
	})
	r = b.ps(t)
	if r.Code != 0 || r.Stderr != "" {
		t.Fatalf("tinit ps: code %d, stderr %q", r.Code, r.Stderr)
	}
	psCheckText(t, r.Stdout, v, want, regexp.MustCompile(`^2 processes hold stdout, 3 hold stderr; main child has exited$`))
	t.Logf("tinit ps, after the main child exited:\n%s", r.Stdout)
}

// psCheckJSON checks every process of v against want (through its text
// line's parts) and the streams' holders.
func psCheckJSON(t *testing.T, v psJSON, want map[int]psWant, holders map[string][]int) {
	t.Helper()
	if len(v.Processes) != len(want) {
		t.Errorf("%d processes below tinit, want %d: %+v", len(v.Processes), len(want), v.Processes)
	}
	for _, p := range v.Processes {
		w, ok := want[p.PID]
		if !ok {
			t.Errorf("unexpected process %+v", p)
			continue
		}
		var notes []string
		if p.MainChild {
			notes = append(notes, "main child")
		}
		if p.Orphan {
			notes = append(notes, "orphan")
		}
		for _, h := range p.Holds {
			notes = append(notes, fmt.Sprintf("holds %s (fd %d)", h.Stream, h.Fd))
		}
		for _, f := range p.Feeds {
			notes = append(notes, fmt.Sprintf("feeds %d", f))
		}
		if p.Relay {
			notes = append(notes, "relay")
		}
		cmd := strings.Join(p.Cmdline, " ")
		if len(p.Cmdline) == 0 {
			cmd = "[" + p.Comm + "]"
		}
		got := cmd
		if len(notes) > 0 {
			got += "  <- " + strings.Join(notes, ", ")
		}
		if got != w.rest || p.Depth != w.depth || !psStateOK(w.state, p.State) {
			t.Errorf("process %d in JSON: depth %d, %s, %q; want depth %d, %s, %q", p.PID, p.Depth, p.State, got, w.depth, w.state, w.rest)
		}
		if p.Orphan != (p.PPID == 1 && !p.MainChild) {
			t.Errorf("process %d: orphan %v with ppid %d", p.PID, p.Orphan, p.PPID)
		}
		if p.AgeMs < 0 || p.AgeMs > v.Tinit.AgeMs {
			t.Errorf("process %d is %d ms old, tinit only %d", p.PID, p.AgeMs, v.Tinit.AgeMs)
		}
	}
	if len(v.Streams) != len(holders) {
		t.Errorf("streams: %+v, want %v", v.Streams, holders)
	}
	for i, s := range v.Streams {
		if want, ok := holders[s.Name]; !ok || fmt.Sprint(s.Holders) != fmt.Sprint(psSorted(want)) {
			t.Errorf("stream %s holders %v, want %v", s.Name, s.Holders, psSorted(holders[s.Name]))
		}
		if i > 0 && s.Fd <= v.Streams[i-1].Fd {
			t.Errorf("streams not by fd: %+v", v.Streams)
		}
	}
}

func psSorted(ns []int) []int {
	out := append([]int(nil), ns...)
	sort.Ints(out)
	return out
}
