package integration

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const drainGib = 1 << 30

// drainYesLine is what `yes` repeats on the stderr stream: not all zeros, so a
// shifted or repeated block changes the hash.
const drainYesLine = "tinit lossless 0123456789 abcdefghijklmnopqrstuvwxyz"

// drainExpectedHash is the sha256 of n bytes of line repeated (with newlines),
// or of zeros when line is "".
func drainExpectedHash(n int64, line string) string {
	h := sha256.New()
	block := make([]byte, 1<<20)
	if line != "" {
		unit := []byte(line + "\n")
		block = bytes.Repeat(unit, (1<<20)/len(unit)+1)
		block = block[:len(block)/len(unit)*len(unit)]
	}
	for n > 0 {
		k := min(n, int64(len(block)))
		h.Write(block[:k])
		n -= k
	}
	return hex.EncodeToString(h.Sum(nil))
}

// hashPipe hashes everything read from r.
type drainHashed struct {
	h hash.Hash
	n int64
}

func drainHashFrom(r io.Reader, into *drainHashed, wg *sync.WaitGroup) {
	defer wg.Done()
	into.h = sha256.New()
	buf := make([]byte, 1<<20)
	for {
		k, err := r.Read(buf)
		into.h.Write(buf[:k])
		into.n += int64(k)
		if err != nil {
			return
		}
	}
}

// drainVmHWM is the peak resident set of pid in KiB, from /proc.
func drainVmHWM(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}

// 1 GiB through each stream at once: every byte arrives unchanged, and
// tinit's memory stays small whatever the child writes.
func TestDrainGiBPerStream(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 2 GiB")
	}
	requireTool(t, "yes", "coreutils")
	wantOut, wantErr := drainExpectedHash(drainGib, ""), drainExpectedHash(drainGib, drainYesLine)
	or, ow, _ := os.Pipe()
	er, ew, _ := os.Pipe()
	cmd := exec.Command(tinitBin, "--", "sh", "-c",
		"head -c "+strconv.Itoa(drainGib)+" /dev/zero & yes '"+drainYesLine+"' | head -c "+strconv.Itoa(drainGib)+" >&2; wait")
	cmd.Stdout, cmd.Stderr = ow, ew
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ow.Close()
	ew.Close()
	var got [2]drainHashed
	var wg sync.WaitGroup
	wg.Add(2)
	go drainHashFrom(or, &got[0], &wg)
	go drainHashFrom(er, &got[1], &wg)
	exited := make(chan error, 1)
	go func() { wg.Wait(); exited <- cmd.Wait() }()
	hwm := 0
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(5 * time.Minute)
	var err error
wait:
	for {
		select {
		case err = <-exited:
			break wait
		case <-tick.C:
			hwm = max(hwm, drainVmHWM(cmd.Process.Pid))
		case <-deadline:
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			t.Fatalf("2 GiB did not get through in 5 minutes (%d and %d bytes so far)", got[0].n, got[1].n)
		}
	}
	if err != nil {
		t.Fatalf("tinit: %v", err)
	}
	elapsed := time.Since(start)
	for i, want := range []string{wantOut, wantErr} {
		if h := hex.EncodeToString(got[i].h.Sum(nil)); got[i].n != drainGib || h != want {
			t.Errorf("stream %d: %d bytes, sha256 %s; want %d bytes, %s", i+1, got[i].n, h, drainGib, want)
		}
	}
	// ru_maxrss of a waited-for child also covers the children it reaped,
	// so it bounds tinit's own peak from above.
	maxrss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
	t.Logf("2 GiB in %v; tinit's peak RSS: VmHWM %d KiB (last sample), ru_maxrss with its children %d KiB",
		elapsed.Round(time.Millisecond), hwm, maxrss)
	if hwm == 0 {
		t.Fatal("no VmHWM sample of tinit")
	}
	if hwm > 16<<10 {
		t.Fatalf("tinit's peak RSS %d KiB: memory is not bounded", hwm)
	}
}

// TestDrainGrowsItsOutputPipes: when tinit's stdout and stderr are pipes of
// the default 64 KiB, tinit grows them to 1 MiB, its own pipes' size, so
// each wake-up of its forwarders moves up to 1 MiB; the reader sees the
// same bytes either way.
func TestDrainGrowsItsOutputPipes(t *testing.T) {
	var rs []*os.File
	cmd := exec.Command(tinitBin, "--", "sh", "-c", "echo out; echo err >&2")
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	rs = append(rs, outR, errR)
	cmd.Stdout, cmd.Stderr = outW, errW
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	outW.Close()
	errW.Close()
	got := make([]string, 2)
	var wg sync.WaitGroup
	for i, r := range rs {
		wg.Add(1)
		go func() { defer wg.Done(); b, _ := io.ReadAll(r); got[i] = string(b) }()
	}
	wg.Wait()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("tinit: %v", err)
	}
	if got[0] != "out\n" || got[1] != "err\n" {
		t.Fatalf("stdout %q stderr %q", got[0], got[1])
	}
	for i, r := range rs {
		n, err := unix.FcntlInt(r.Fd(), unix.F_GETPIPE_SZ, 0)
		if err != nil || n != 1<<20 {
			t.Errorf("pipe %d holds %d bytes (%v), want %d", i+1, n, err, 1<<20)
		}
		r.Close()
	}
}
