package drain

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"tinit/internal/quietio"

	"golang.org/x/sys/unix"
)

// testData is more than a pipe holds, so every path loops.
func testData(n int, seed int64) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

type logSink struct {
	mu    sync.Mutex
	lines []string
}

func (l *logSink) log(s string) { l.mu.Lock(); l.lines = append(l.lines, s); l.mu.Unlock() }

// pump writes data into each stream's pipe in random-sized pieces, from
// a holder of its write end only, while one relay forwards them all, and
// returns each writer's error.
func pumpAll(t *testing.T, ss []*Stream, data [][]byte) []error {
	t.Helper()
	wrote := make([]chan error, len(ss))
	for i, s := range ss {
		w, err := unix.Dup(s.w)
		if err != nil {
			t.Fatal(err)
		}
		s.closeWriteEnd()
		wrote[i] = make(chan error, 1)
		go func() {
			r := rand.New(rand.NewSource(1))
			var werr error
			for rest := data[i]; len(rest) > 0; {
				n := min(len(rest), 1+r.Intn(200000))
				m, err := unix.Write(w, rest[:n])
				if err == unix.EINTR {
					continue
				}
				if err != nil {
					werr = err
					break
				}
				rest = rest[m:]
			}
			unix.Close(w)
			wrote[i] <- werr
		}()
	}
	relayAll(t, ss[0].wake, ss...)
	errs := make([]error, len(ss))
	for i := range ss {
		errs[i] = <-wrote[i]
	}
	return errs
}

func pump(t *testing.T, s *Stream, data []byte) error {
	t.Helper()
	return pumpAll(t, []*Stream{s}, [][]byte{data})[0]
}

// relayAll forwards ss with one relay, as a Drain does, until all are done.
func relayAll(t testing.TB, wake int, ss ...*Stream) {
	r, err := newRelay(ss, wake)
	if err != nil {
		t.Fatal(err)
	}
	r.run()
}

// forward is one stream's relay.
func (s *Stream) forward() {
	r, err := newRelay([]*Stream{s}, s.wake)
	if err != nil {
		panic(err)
	}
	r.run()
}

// collect reads f until EOF in the background.
func collect(f *os.File) func() []byte {
	var buf bytes.Buffer
	done := make(chan struct{})
	go func() { _, _ = io.Copy(&buf, f); f.Close(); close(done) }()
	return func() []byte { <-done; return buf.Bytes() }
}

// collectMessages is collect for a message socket, whose reader must
// take each message whole.
func collectMessages(f *os.File) func() []byte {
	var buf bytes.Buffer
	done := make(chan struct{})
	go func() {
		b := make([]byte, 4<<20)
		for {
			n, err := f.Read(b)
			if n <= 0 || err != nil {
				break
			}
			buf.Write(b[:n])
		}
		f.Close()
		close(done)
	}()
	return func() []byte { <-done; return buf.Bytes() }
}

func mustPipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	return r, w
}

// outKind makes tinit's output fd of one kind, and returns how to read what
// reached it once forwarding is over.
type outKind struct {
	name string
	make func(t *testing.T) (fd int, result func() []byte)
}

func outKinds() []outKind {
	return []outKind{
		{"pipe", func(t *testing.T) (int, func() []byte) {
			r, w := mustPipe(t)
			get := collect(r)
			return dupClose(t, w), get
		}},
		{"nonblocking pipe", func(t *testing.T) (int, func() []byte) {
			r, w := mustPipe(t)
			get := collect(r)
			fd := dupClose(t, w)
			if err := unix.SetNonblock(fd, true); err != nil {
				t.Fatal(err)
			}
			return fd, get
		}},
		{"socket", func(t *testing.T) (int, func() []byte) {
			p, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			return p[0], collect(os.NewFile(uintptr(p[1]), "sock"))
		}},
		// A message socket takes no message larger than its send buffer;
		// without tinit the child's own writes would fit.
		{"seqpacket socket", func(t *testing.T) (int, func() []byte) {
			p, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			return p[0], collectMessages(os.NewFile(uintptr(p[1]), "seqpacket"))
		}},
		{"file", func(t *testing.T) (int, func() []byte) {
			return fileOut(t, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
		}},
		{"append file", func(t *testing.T) (int, func() []byte) {
			return fileOut(t, os.O_WRONLY|os.O_CREATE|os.O_APPEND)
		}},
		{"dev null", func(t *testing.T) (int, func() []byte) {
			f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			return dupClose(t, f), nil
		}},
	}
}

func dupClose(t *testing.T, f *os.File) int {
	fd, err := unix.Dup(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	return fd
}

func fileOut(t *testing.T, flags int) (int, func() []byte) {
	path := filepath.Join(t.TempDir(), "out")
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	return dupClose(t, f), func() []byte {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

// Every kind of output, with and without a copy file that already holds
// something, gets exactly the child's bytes, and the copy is appended to.
func TestForwardExactBytes(t *testing.T) {
	data := testData(3<<20+12345, 7)
	for _, k := range outKinds() {
		for _, withCopy := range []bool{false, true} {
			name := k.name
			if withCopy {
				name += " with copy"
			}
			t.Run(name, func(t *testing.T) {
				out, result := k.make(t)
				copyPath := ""
				if withCopy {
					copyPath = filepath.Join(t.TempDir(), "copy")
					if err := os.WriteFile(copyPath, []byte("before\n"), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				var logs logSink
				s, err := newStream("stdout", out, false, copyPath, logs.log, -1)
				if err != nil {
					t.Fatal(err)
				}
				pump(t, s, data)
				unix.Close(out)
				if result != nil {
					if got := result(); !bytes.Equal(got, data) {
						t.Errorf("output: %d bytes, want %d (equal prefix %d)", len(got), len(data), commonPrefix(got, data))
					}
				}
				if withCopy {
					got, err := os.ReadFile(copyPath)
					if err != nil {
						t.Fatal(err)
					}
					want := append([]byte("before\n"), data...)
					if !bytes.Equal(got, want) {
						t.Errorf("copy: %d bytes, want %d (equal prefix %d)", len(got), len(want), commonPrefix(got, want))
					}
				}
				if len(logs.lines) > 0 {
					t.Errorf("logged %q", logs.lines)
				}
			})
		}
	}
}

// A reader that went away ends the stream as it would without tinit: the
// pipe is closed, so the child's writes fail; the copy holds what was
// forwarded (nothing), and tinit says so once.
func TestForwardBrokenOutput(t *testing.T) {
	data := testData(2<<20, 9)
	for _, kind := range []string{"pipe", "socket"} {
		for _, withCopy := range []bool{false, true} {
			t.Run(kind+map[bool]string{true: " with copy"}[withCopy], func(t *testing.T) {
				var out int
				if kind == "pipe" {
					r, w := mustPipe(t)
					r.Close()
					out = dupClose(t, w)
				} else {
					p, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
					if err != nil {
						t.Fatal(err)
					}
					unix.Close(p[1])
					out = p[0]
				}
				defer unix.Close(out)
				copyPath := ""
				if withCopy {
					copyPath = filepath.Join(t.TempDir(), "copy")
				}
				var logs logSink
				s, err := newStream("stderr", out, false, copyPath, logs.log, -1)
				if err != nil {
					t.Fatal(err)
				}
				werr := pump(t, s, data)
				if len(logs.lines) != 1 || !strings.Contains(logs.lines[0], "closing the child's stderr") {
					t.Errorf("logged %q, want one line saying it closes the stream", logs.lines)
				}
				if !errors.Is(werr, unix.EPIPE) {
					t.Errorf("the child's write got %v, want EPIPE", werr)
				}
				if withCopy {
					if got, _ := os.ReadFile(copyPath); len(got) != 0 {
						t.Errorf("copy: %d bytes, want none", len(got))
					}
				}
			})
		}
	}
}

// Output that breaks midway: what was forwarded before is intact, and the
// copy holds exactly what was forwarded.
func TestForwardOutputBreaksMidway(t *testing.T) {
	data := testData(8<<20, 11)
	r, w := mustPipe(t)
	out := dupClose(t, w)
	defer unix.Close(out)
	var got bytes.Buffer
	readerDone := make(chan struct{})
	go func() {
		_, _ = io.CopyN(&got, r, 1<<20)
		r.Close()
		close(readerDone)
	}()
	copyPath := filepath.Join(t.TempDir(), "copy")
	var logs logSink
	s, err := newStream("stdout", out, false, copyPath, logs.log, -1)
	if err != nil {
		t.Fatal(err)
	}
	if err := pump(t, s, data); !errors.Is(err, unix.EPIPE) {
		t.Errorf("the child's write got %v, want EPIPE", err)
	}
	<-readerDone
	if !bytes.Equal(got.Bytes(), data[:1<<20]) {
		t.Errorf("forwarded prefix differs")
	}
	// The reader took 1 MiB and left what was in its pipe; the pipes in
	// between hold 1 MiB each.
	c, _ := os.ReadFile(copyPath)
	if len(c) < 1<<20 || len(c) > 3<<20 || !bytes.Equal(c, data[:len(c)]) {
		t.Errorf("copy: %d bytes, want a prefix of what was written of 1 to 3 MiB (equal prefix %d)", len(c), commonPrefix(c, data))
	}
	if len(logs.lines) != 1 {
		t.Errorf("logged %q, want one line", logs.lines)
	}
}

// Both streams naming one copy file share it: neither overwrites the
// other, and each stream's bytes stay in order.
func TestForwardSharedCopyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "both")
	outs := [2]func() []byte{}
	var fds [2]int
	for i := range fds {
		r, w := mustPipe(t)
		outs[i] = collect(r)
		fds[i] = dupClose(t, w)
	}
	d, err := New(Options{StdoutFile: path, StderrFile: filepath.Join(dir, ".", "both"), Log: func(m string) { t.Error(m) }, Out: fds})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Streams) != 2 {
		t.Fatalf("%d streams, want 2 for two outputs", len(d.Streams))
	}
	// Distinct alphabets tell the streams apart in the shared file, where
	// their pieces interleave as they would under two `tee -a`.
	lines := [2][]byte{}
	r := rand.New(rand.NewSource(3))
	for i, base := range []byte{'a', 'n'} {
		b := make([]byte, 3<<20)
		for j := range b {
			b[j] = base + byte(r.Intn(13))
		}
		lines[i] = b
	}
	pumpAll(t, d.Streams, lines[:])
	for i, s := range d.Streams {
		unix.Close(s.Out)
		if got := outs[i](); !bytes.Equal(got, lines[i]) {
			t.Errorf("%s forwarded %d bytes, want %d", s.Name, len(got), len(lines[i]))
		}
	}
	all, _ := os.ReadFile(path)
	if len(all) != len(lines[0])+len(lines[1]) {
		t.Fatalf("shared copy has %d bytes, want %d", len(all), len(lines[0])+len(lines[1]))
	}
	var sep [2]bytes.Buffer
	for _, c := range all {
		sep[map[bool]int{true: 0, false: 1}[c < 'n']].WriteByte(c)
	}
	for i := range sep {
		if !bytes.Equal(sep[i].Bytes(), lines[i]) {
			t.Errorf("stream %d in the shared copy: bytes lost or reordered", i)
		}
	}
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// With one copy file for both streams and two outputs, a stalled reader of
// tinit's stdout holds up nothing of stderr: the relay hands each stream's
// lines to its own output and then to the copy, so neither waits for the
// other's output.
func TestSharedCopyStalledStdoutKeepsStderr(t *testing.T) {
	path := filepath.Join(t.TempDir(), "both")
	outR, outW := mustPipe(t)
	errR, errW := mustPipe(t)
	defer errR.Close()
	fds := [2]int{dupClose(t, outW), dupClose(t, errW)}
	d, err := New(Options{StdoutFile: path, StderrFile: path, Log: func(m string) { t.Error(m) }, Out: fds})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Streams) != 2 {
		t.Fatalf("%d streams, want 2", len(d.Streams))
	}
	var child [2]int
	for i, s := range d.Streams {
		if child[i], err = unix.Dup(s.w); err != nil {
			t.Fatal(err)
		}
	}
	d.Start()
	// More than both pipes hold: stdout's relay waits for its reader.
	lots := bytes.Repeat([]byte("stdout, which nobody reads yet\n"), 200000)
	wrote := make(chan error, 1)
	go func() {
		_, err := quietio.WriteAll(child[0], lots)
		unix.Close(child[0])
		wrote <- err
	}()
	for d.Streams[0].queued() < pipeSize/2 {
		time.Sleep(time.Millisecond)
	}
	if _, err := quietio.WriteAll(child[1], []byte("stderr line\n")); err != nil {
		t.Fatal(err)
	}
	unix.Close(child[1])
	got := make(chan []byte, 1)
	go func() { b := make([]byte, len("stderr line\n")); n, _ := io.ReadFull(errR, b); got <- b[:n] }()
	select {
	case b := <-got:
		if string(b) != "stderr line\n" {
			t.Errorf("stderr got %q", b)
		}
	case <-time.After(5 * time.Second):
		t.Error("stderr's line did not arrive while stdout's reader was stalled")
	}
	all := collect(outR)
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	<-d.Done()
	unix.Close(fds[0])
	unix.Close(fds[1])
	if b := all(); !bytes.Equal(b, lots) {
		t.Errorf("stdout got %d bytes, want %d", len(b), len(lots))
	}
}
