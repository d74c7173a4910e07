package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// scripts/bench.sh --quick runs end to end and prints every table, each
// row with a figure: CI proves the benchmark anyone can run still works.
// The figures themselves are not judged here (a busy CI machine is no
// place for timing targets).
func TestHostileBenchScriptRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("the quick benchmark takes about half a minute")
	}
	for tool, pkg := range map[string]string{"hyperfine": "hyperfine", "tini-static": "tini",
		"catatonit": "catatonit", "dumb-init": "dumb-init", "unshare": "util-linux"} {
		requireTool(t, tool, pkg)
	}
	nsPrefix(t)
	cmd := exec.Command("bash", filepath.Join(repoRoot, "scripts", "bench.sh"), "--quick")
	cmd.Env = append(os.Environ(), "TINIT="+tinitBin)
	r := runCmd(t, 5*time.Minute, cmd)
	if r.Code != 0 {
		t.Fatalf("bench.sh --quick exited %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	}
	for _, want := range []string{
		`(?m)^# tinit benchmarks$`,
		`(?m)^\d{4}-\d\d-\d\d on \d+ cores, Linux `,
		`(?m)^\| tinit \| \d+ \| \d+\.\d\d \|$`,
		`(?m)^\| tini-static \| \d+ \| 1\.00 \|$`,
		`(?m)^\| catatonit \| \d+ \| \d+\.\d\d \|$`,
		`(?m)^\| dumb-init \| \d+ \| \d+\.\d\d \|$`,
		`(?m)^\| Go floor \(scripts/gofloor\) \| \d+ \| \d+\.\d\d \|$`,
		`(?m)^\| no init \| \d+ \| \d+\.\d\d \|$`,
		`(?m)^\| tinit \| \d+ \| \d+ \| \d+\.\d\d \|$`,
		`(?m)^\| peak RSS forwarding 64M \(KiB\) \| \d+ \|`,
		`(?m)^\| peak RSS ending 200 leaked holders \(KiB\) \| [1-9]\d* \|`,
		`(?m)^\| last close to exit, median of 5 \(µs\) \| \d+ \| \d+ \| \d+ \|`,
		`(?m)^\| tinit \(stripped amd64\) \| \d+ \|`,
		`(?m)^\| start-up within 1\.15x of tini-static \| \d+\.\d\dx \(the Go floor: \d+\.\d\dx\) \| (yes|no) \|$`,
		`(?m)^\| peak RSS at most 4 MiB \| \d+ KiB \| (yes|no) \|$`,
	} {
		if !regexp.MustCompile(want).MatchString(r.Stdout) {
			t.Errorf("output lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s\nstderr:\n%s", r.Stdout, r.Stderr)
	}
}
