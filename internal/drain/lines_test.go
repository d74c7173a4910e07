package drain

import (
	"bytes"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
	"time"
	"tinit/internal/quietio"

	"golang.org/x/sys/unix"
)

// testLines is n lines of random length (up to max) in letters from base.
func testLines(n, max int, base byte, seed int64) []byte {
	r := rand.New(rand.NewSource(seed))
	var b bytes.Buffer
	for range n {
		l := 1 + r.Intn(max)
		for range l {
			b.WriteByte(base + byte(r.Intn(13)))
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Two streams handing whole lines to one output: every line that arrives
// is from one stream only, and each stream's lines arrive whole and in
// order; also through a stage smaller than a line, as an unprivileged
// user past pipe-user-pages-soft gets.
func TestForwardLinesNeverTorn(t *testing.T) {
	for _, stage := range []int{0, 4096} {
		t.Run("stage "+map[bool]string{true: "as made", false: "of one page"}[stage == 0], func(t *testing.T) {
			forwardLinesNeverTorn(t, stage)
		})
	}
}

func forwardLinesNeverTorn(t *testing.T, stage int) {
	r, w := mustPipe(t)
	out := dupClose(t, w)
	result := collect(r)
	data := [][]byte{testLines(800, 9000, 'a', 1), testLines(800, 9000, 'n', 2)}
	var ss []*Stream
	for _, name := range []string{"stdout", "stderr"} {
		s, err := newStream(name, out, false, "", func(m string) { t.Error(m) }, -1)
		if err != nil {
			t.Fatal(err)
		}
		s.lines = true
		if len(ss) > 0 {
			s.sink = ss[0].sink
		}
		ss = append(ss, s)
	}
	if stage > 0 {
		k := ss[0].sink
		k.prepare()
		if _, err := unix.FcntlInt(uintptr(k.stage[0]), unix.F_SETPIPE_SZ, stage); err != nil {
			t.Fatal(err)
		}
	}
	pumpAll(t, ss, data)
	unix.Close(out)
	var per [2]bytes.Buffer
	for _, l := range bytes.SplitAfter(result(), []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		k := 0
		if l[0] >= 'n' {
			k = 1
		}
		for _, c := range l[:len(l)-1] {
			if (c >= 'n') != (k == 1) {
				t.Fatalf("a torn line: %.60q", l)
			}
		}
		per[k].Write(l)
	}
	for i := range per {
		if !bytes.Equal(per[i].Bytes(), data[i]) {
			t.Errorf("stream %d: %d bytes, want %d", i, per[i].Len(), len(data[i]))
		}
	}
}

// A partial line goes out after lineWait, without its newline.
func TestForwardLinesPartialLine(t *testing.T) {
	r, w := mustPipe(t)
	out := dupClose(t, w)
	defer unix.Close(out)
	s, err := newStream("stdout", out, false, "", func(m string) { t.Error(m) }, -1)
	if err != nil {
		t.Fatal(err)
	}
	s.lines = true
	child, err := unix.Dup(s.w)
	if err != nil {
		t.Fatal(err)
	}
	s.closeWriteEnd()
	done := make(chan struct{})
	go func() { s.forward(); close(done) }()
	start := time.Now()
	quietio.WriteAll(child, []byte("whole\nprompt> "))
	buf := make([]byte, 64)
	got := ""
	for len(got) < len("whole\nprompt> ") {
		n, err := r.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got += string(buf[:n])
	}
	took := time.Since(start)
	if got != "whole\nprompt> " || took < lineWait || took > time.Second {
		t.Errorf("got %q after %v, want the partial line after about %v", got, took, lineWait)
	}
	unix.Close(child)
	<-done
}

// A stream with a copy file of its own appends whole lines to it, as on a
// shared destination: others (another tinit, the test) may append to the
// file at the same time. The relay is stepped by hand at one instant, so
// the partial line has certainly not waited lineWait yet.
func TestCopyFileGetsWholeLinesOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "copy")
	var fds [2]int
	for i := range fds {
		r, w := mustPipe(t)
		defer r.Close()
		fds[i] = dupClose(t, w)
		defer unix.Close(fds[i])
	}
	d, err := New(Options{StdoutFile: path, Log: func(m string) { t.Error(m) }, Out: fds})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s := d.Streams[0]
	if _, err := newRelay([]*Stream{s}, -1); err != nil {
		t.Fatal(err)
	}
	if _, err := unix.Write(s.w, []byte("one\ntwo")); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for s.step(now) {
	}
	if got, _ := os.ReadFile(path); string(got) != "one\n" {
		t.Fatalf("copy holds %q, want %q: the partial line waits for its newline", got, "one\n")
	}
}

// The partial line after a piece waits lineWait for its newline from when
// it could go out, not from when it was read: a slow output that takes
// longer than lineWait for the piece must not cut the next line in two.
// The relay is stepped by hand, at instants the test chooses.
func TestPartialLineWaitsAfterASlowPiece(t *testing.T) {
	r, w := mustPipe(t)
	rfd := dupClose(t, r)
	defer unix.Close(rfd)
	out := dupClose(t, w)
	defer unix.Close(out)
	s, err := newStream("stdout", out, false, "", func(m string) { t.Error(m) }, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	s.lines = true
	if _, err := newRelay([]*Stream{s}, -1); err != nil {
		t.Fatal(err)
	}
	// An output that holds one page: the piece takes several turns.
	if _, err := unix.FcntlInt(uintptr(out), unix.F_SETPIPE_SZ, 4096); err != nil {
		t.Fatal(err)
	}
	if err := unix.SetNonblock(rfd, true); err != nil {
		t.Fatal(err)
	}
	line := append(bytes.Repeat([]byte("x"), 20000), '\n')
	if _, err := unix.Write(s.w, append(append([]byte{}, line...), "part"...)); err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 1<<16)
	steps := func(now time.Time) {
		for s.step(now) {
		}
		for {
			n, err := unix.Read(rfd, buf)
			if n <= 0 || err != nil {
				return
			}
			got = append(got, buf[:n]...)
		}
	}
	start := time.Now()
	steps(start)
	// The output's reader took long: the piece is out only now.
	later := start.Add(2 * lineWait)
	for range 100 {
		if len(got) >= len(line) {
			break
		}
		steps(later)
	}
	steps(later)
	if !bytes.Equal(got, line) {
		t.Fatalf("output holds %d bytes ending %q, want the whole line only: the partial line waits for its newline", len(got), got[max(len(got)-8, 0):])
	}
	if _, err := unix.Write(s.w, []byte("ial\n")); err != nil {
		t.Fatal(err)
	}
	steps(later.Add(time.Millisecond))
	if want := append(line, "partial\n"...); !bytes.Equal(got, want) {
		t.Fatalf("output ends %q, want %q", got[max(len(got)-8, 0):], "partial\n")
	}
}

// The same when the time goes into the copy: an append that waits (a copy
// file that is a FIFO, read late) does not count against the next line.
func TestPartialLineWaitsAfterASlowCopy(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "copy")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// Opened before the stream, so the copy's open finds a reader.
	rd, err := unix.Open(fifo, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(rd)
	r, w := mustPipe(t)
	rfd := dupClose(t, r)
	defer unix.Close(rfd)
	out := dupClose(t, w)
	defer unix.Close(out)
	s, err := newStream("stdout", out, false, fifo, func(m string) { t.Error(m) }, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if _, err := newRelay([]*Stream{s}, -1); err != nil {
		t.Fatal(err)
	}
	// Fill the FIFO, so that the next append waits for its reader.
	wfd, err := unix.Open(fifo, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	filler := bytes.Repeat([]byte("f"), 4096)
	for {
		if _, err := unix.Write(wfd, filler); err != nil {
			break
		}
	}
	unix.Close(wfd)
	const late = 3 * lineWait
	go func() {
		time.Sleep(late) // the slowness under test, not a synchronisation
		unix.SetNonblock(rd, false)
		b := make([]byte, 1<<16)
		for {
			if n, err := unix.Read(rd, b); n <= 0 || err != nil {
				return
			}
		}
	}()
	if _, err := unix.Write(s.w, []byte("line\npart")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for s.step(start) {
	}
	if took := time.Since(start); took < late {
		t.Fatalf("the append took %v, want it to wait for the FIFO's reader, %v", took, late)
	}
	// lineWait after the step began, but less since the append ended.
	for s.step(start.Add(lineWait + time.Millisecond)) {
	}
	if err := unix.SetNonblock(rfd, true); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 64)
	n, _ := unix.Read(rfd, b)
	if got := string(b[:max(n, 0)]); got != "line\n" {
		t.Fatalf("output holds %q, want %q: the partial line waits for its newline", got, "line\n")
	}
}
