package integration

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// drainLatencies runs argv (the hostile helper in stamps mode, with or
// without tinit in front) with stdout and stderr on one pipe, and returns
// each line's delay from the child's write to the moment the reader has it.
func drainLatencies(tb testing.TB, argv []string, n int, both bool) []time.Duration {
	tb.Helper()
	env := []string{"HOSTILE_MODE=stamps", "HOSTILE_N=" + strconv.Itoa(n), "HOSTILE_PAUSE_US=1000"}
	if both {
		env = append(env, "HOSTILE_BOTH=1")
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		tb.Fatal(err)
	}
	defer pr.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	pw.Close()
	var ds []time.Duration
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		var ts unix.Timespec
		_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
		sent, err := strconv.ParseInt(sc.Text(), 10, 64)
		if err != nil {
			tb.Fatalf("line %q", sc.Text())
		}
		ds = append(ds, time.Duration(ts.Nano()-sent))
	}
	if err := cmd.Wait(); err != nil {
		tb.Fatalf("%q: %v", argv, err)
	}
	if len(ds) != n {
		tb.Fatalf("%d lines, want %d", len(ds), n)
	}
	return ds
}

func drainQuantile(ds []time.Duration, q float64) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// BenchmarkDrainLatency measures the delay from a child's write to its
// arrival at the reader of tinit's stdout, a pipe, one line every ms:
// median and 99th percentile, against the same child with no init. b.N is
// the number of lines per case (run with -benchtime=2000x).
//
//	go test ./test/integration -run '^$' -bench DrainLatency -benchtime=2000x
func BenchmarkDrainLatency(b *testing.B) {
	h := hostile(b)
	dir := b.TempDir()
	for _, c := range []struct {
		name string
		argv []string
		both bool
	}{
		{"no-init", []string{h}, false},
		{"tinit", []string{tinitBin, "--", h}, false},
		{"tinit-2>&1", []string{tinitBin, "--", h}, true},
		{"tinit-two-pipes", []string{tinitBin, "--stdout-file", filepath.Join(dir, "o"), "--stderr-file", filepath.Join(dir, "e"), "--", h}, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			ds := drainLatencies(b, c.argv, b.N, c.both)
			med, p99 := drainQuantile(ds, 0.5), drainQuantile(ds, 0.99)
			b.ReportMetric(float64(med.Microseconds()), "median-µs")
			b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
			b.ReportMetric(0, "ns/op")
			if b.N >= 100 {
				fmt.Fprintf(os.Stderr, "%-16s lines %5d  median %7v  p99 %7v\n", c.name, len(ds), med, p99)
			}
		})
	}
}

// Every line the child writes reaches tinit's reader promptly: with one
// line every ms, the median delay is under 5 ms and nine lines in ten come
// far below the 50 ms a partial line may wait, also with two pipes into one
// destination, where whole lines are never held. (The tail is left to the
// benchmark: on a busy machine it is the scheduler's, with or without
// tinit.)
func TestDrainLatencyBounded(t *testing.T) {
	h := hostile(t)
	dir := t.TempDir()
	for name, argv := range map[string][]string{
		"one pipe":  {tinitBin, "--", h},
		"two pipes": {tinitBin, "--stdout-file", filepath.Join(dir, "o"), "--stderr-file", filepath.Join(dir, "e"), "--", h},
	} {
		ds := drainLatencies(t, argv, 500, true)
		if med, p90 := drainQuantile(ds, 0.5), drainQuantile(ds, 0.9); med > 5*time.Millisecond || p90 > 40*time.Millisecond {
			t.Errorf("%s: median delay %v, 90th percentile %v; want under 5 ms and 40 ms", name, med, p90)
		}
	}
}
