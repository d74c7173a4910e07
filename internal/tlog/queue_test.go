package tlog

import (
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A writer stuck on a full pipe: the lines after it queue up to the bound,
// the rest are dropped and counted, and what arrives keeps its order.
func TestLogQueueDropsAndCounts(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := unix.FcntlInt(w.Fd(), unix.F_SETPIPE_SZ, 4096); err != nil {
		t.Fatal(err)
	}
	q := newLogQueueTo(int(w.Fd()))
	first := strings.Repeat("a", 8191) + "\n"
	q.add(first)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if n, _ := unix.IoctlGetInt(int(r.Fd()), unix.TIOCINQ); n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the writer never started")
		}
	}
	var want strings.Builder
	want.WriteString(first)
	for i := range logQueueLines + 100 {
		l := "line " + strconv.Itoa(i) + "\n"
		q.add(l)
		if i < logQueueLines {
			want.WriteString(l)
		}
	}
	want.WriteString("tinit: 100 log lines dropped: stderr was not read fast enough\n")
	got := make(chan string, 1)
	go func() { b, _ := io.ReadAll(r); got <- string(b) }()
	q.flush(10 * time.Second)
	q.add("after\n")
	want.WriteString("after\n")
	q.flush(10 * time.Second)
	w.Close()
	if g := <-got; g != want.String() {
		t.Fatalf("got %d bytes, want %d:\n%.500q\nwant\n%.500q", len(g), want.Len(), g[min(len(g), 8192):], want.String()[8192:])
	}
}

// flush gives up on a stderr that nobody reads, after its bound.
func TestLogQueueFlushBound(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	q := newLogQueueTo(int(w.Fd()))
	q.add(strings.Repeat("b", 1<<20) + "\n")
	start := time.Now()
	q.flush(200 * time.Millisecond)
	if took := time.Since(start); took < 200*time.Millisecond || took > 5*time.Second {
		t.Fatalf("flush took %v, want about 200ms", took)
	}
	// The writer is still writing to w's fd number: closed under it, the
	// number would soon name another test's file, and the rest of the line
	// would land there. Without a reader it fails with EPIPE and stops.
	r.Close()
	q.flush(10 * time.Second)
	w.Close()
}
