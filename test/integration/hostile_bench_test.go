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
		t.Skip("the quick benchmark takes about a minute")
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
		`(?m)^\d{4}-\d\d-\d\d \d\d:\d\d UTC on \d+ cores, Linux `,
		`(?m)^Load average at the start: \d+\.\d\d \d+\.\d\d \d+\.\d\d$`,
		`(?m)^\| tinit \| \d+ \| \d+\.\d\d \| \d+\.\d\d \|$`,
		`(?m)^\| tini-static \| \d+ \| 1\.00 \| \d+\.\d\d \|$`,
		`(?m)^\| catatonit \| \d+ \| \d+\.\d\d \| \d+\.\d\d \|$`,
		`(?m)^\| dumb-init \| \d+ \| \d+\.\d\d \| \d+\.\d\d \|$`,
		`(?m)^\| Go floor \(scripts/gofloor\) \| \d+ \| \d+\.\d\d \| 1\.00 \|$`,
		`(?m)^\| no init \| \d+ \| \d+\.\d\d \| \d+\.\d\d \|$`,
		`(?m)^\| Go floor with tinit's 58 signal handlers \(gofloor -signals\) \| \d+ \| \d+\.\d\d \| \d+\.\d\d \|$`,
		`(?m)^\| tinit \| \d+ \| \d+ \| \d+\.\d\d \|$`,
		`(?m)^\| tasks while the child runs \| [1-9]\d* \| 1 \| 1 \| [1-9]\d* \| \d+\.\d\d \| at most 6 \|$`,
		`(?m)^\| tasks during the grace \(a holder ignores SIGTERM\) \| [1-9]\d* \| 1 \| 1 \| [1-9]\d* \| \d+\.\d\d \| at most 6 \|$`,
		`(?m)^\| tasks while ending 200 leaked holders \| [1-9]\d* \| 1 \| 1 \| [1-9]\d* \| \d+\.\d\d \| at most 6 \|$`,
		`(?m)^\| RSS while the child runs \(KiB\) \| [1-9]\d* \| [1-9]\d* \| [1-9]\d* \| [1-9]\d* \| \d+\.\d\d \|`,
		`(?m)^\| of which anonymous \(RssAnon, KiB\) \| [1-9]\d* \| [1-9]\d* \| [1-9]\d* \| [1-9]\d* \| \d+\.\d\d \| - \|$`,
		`(?m)^    forwarding: +\d+\.\d\dx the C splice relay \(no regression\)$`,
		`(?m)^\| peak RSS forwarding 64M \(KiB\) \| [1-9]\d* \| - \|`,
		`(?m)^\| peak RSS ending 200 leaked holders \(KiB\) \| [1-9]\d* \| - \|`,
		`(?m)^\| last close to exit, median of 5 \(µs\) \| \d+ \| \d+ \| \d+ \|`,
		`(?m)^\(BenchmarkDrainLatency\): no init \d[^ ]*s median, p99 \d[^ ]*s;$`,
		`(?m)^\| tinit-mips64el \| \d+ \|`,
		`(?m)^\| tinit-s390x \| \d+ \|`,
		`(?m)^\| start-up within 1\.5x of the Go floor \| \d+\.\d\dx \(the Go floor with tinit's signal handlers: \d+\.\d\dx; tinit to that: \d+\.\d\dx\) \| (yes|no) \|$`,
		`(?m)^\| start-up within 1\.15x of tini-static \| \d+\.\d\dx \(the Go floor: \d+\.\d\dx\) \| (yes|no) \|$`,
		`(?m)^\| idle RSS at most 1\.3x the Go floor \| \d+\.\d\dx \(\d+ against \d+ KiB\) \| (yes|no) \|$`,
		`(?m)^\| peak RSS forwarding 64M at most 3 MiB \| \d+ KiB \| (yes|no) \|$`,
		`(?m)^\| every stripped binary within 3 MiB \| largest: tinit-[a-z0-9]+, \d+ bytes \| (yes|no) \|$`,
		`(?m)^Load average at the end: `,
	} {
		if !regexp.MustCompile(want).MatchString(r.Stdout) {
			t.Errorf("output lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s\nstderr:\n%s", r.Stdout, r.Stderr)
	}
}
