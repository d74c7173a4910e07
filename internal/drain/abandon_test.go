package drain

import (
	"bytes"
	"io"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"tinit/internal/quietio"
)

// heldStream is a stream of kind (splice, copy or lines) forwarding into a
// pipe the test reads from r, whose write end out is the stream's output,
// and whose own pipe only holder, an fd tinit does not know of, keeps open:
// the Drain's Abandon and Finish act on it. The caller closes holder.
func heldStream(t *testing.T, kind string) (d *Drain, s *Stream, r *os.File, out, holder int, logs *logSink) {
	t.Helper()
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(wake) })
	d = &Drain{wake: wake}
	r, w := mustPipe(t)
	out = dupClose(t, w)
	logs = &logSink{}
	if s, err = newStream("stdout", out, false, "", logs.log, wake); err != nil {
		t.Fatal(err)
	}
	switch kind {
	case "copy":
		s.outSplice = false
	case "lines":
		s.lines = true
	}
	if holder, err = unix.Dup(s.w); err != nil {
		t.Fatal(err)
	}
	s.closeWriteEnd()
	return d, s, r, out, holder, logs
}

// Finishing a pipe that a hidden holder keeps open ends its forwarder only
// once the pipe is empty and every byte read is written out: a reader that
// reads nothing for a while still gets everything, and the forwarder then
// returns although the holder's write end is still open.
func TestFinishDeliversWhatThePipeHolds(t *testing.T) {
	for _, kind := range []string{"splice", "copy", "lines"} {
		t.Run(kind, func(t *testing.T) {
			d, s, r, out, hidden, logs := heldStream(t, kind)
			defer unix.Close(hidden)
			data := testData(1900000, 5)
			wrote := make(chan struct{})
			go func() { quietio.WriteAll(hidden, data); close(wrote) }()
			done := make(chan struct{})
			go func() { s.forward(); close(done) }()
			<-wrote
			d.Abandon()
			d.Finish()
			select {
			case <-done:
				t.Fatal("the forwarder returned with bytes still to deliver")
			case <-time.After(200 * time.Millisecond):
			}
			got, _ := io.ReadAll(io.LimitReader(r, int64(len(data))))
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the forwarder did not return once the pipe was empty")
			}
			unix.Close(out)
			if rest, _ := io.ReadAll(r); len(rest) > 0 || !bytes.Equal(got, data) {
				t.Errorf("delivered %d+%d bytes, want %d (equal prefix %d)", len(got), len(rest), len(data), commonPrefix(got, data))
			}
			if len(logs.lines) > 0 {
				t.Errorf("logged %q", logs.lines)
			}
		})
	}
}

// Giving up on end of file is not giving up on reading: after Abandon the
// forwarder still waits for and delivers what the holder writes later, for
// as long as tinit runs; only Finish, at tinit's exit, ends it, once it has
// taken what is in the pipe.
func TestAbandonKeepsReading(t *testing.T) {
	for _, kind := range []string{"splice", "lines"} {
		t.Run(kind, func(t *testing.T) {
			d, s, r, out, hidden, _ := heldStream(t, kind)
			defer unix.Close(hidden)
			done := make(chan struct{})
			go func() { s.forward(); close(done) }()
			d.Abandon()
			select {
			case <-done:
				t.Fatal("the forwarder returned at an empty pipe after Abandon")
			case <-time.After(200 * time.Millisecond):
			}
			late := testData(300000, 7)
			quietio.WriteAll(hidden, late)
			got, _ := io.ReadAll(io.LimitReader(r, int64(len(late))))
			if !bytes.Equal(got, late) {
				t.Fatalf("delivered %d bytes written after Abandon, want %d", len(got), len(late))
			}
			last := []byte("last line\n")
			quietio.WriteAll(hidden, last)
			d.Finish()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the forwarder did not return after Finish")
			}
			unix.Close(out)
			if rest, _ := io.ReadAll(r); !bytes.Equal(rest, last) {
				t.Errorf("after Finish delivered %q, want %q", rest, last)
			}
		})
	}
}

// A holder tinit could not end may write on for good, as fast as the pipe
// is read: Finish takes what is in the pipe at that moment, and no more,
// so the forwarder returns although the pipe never empties.
func TestFinishEndsThoughTheWriterNeverStops(t *testing.T) {
	for _, kind := range []string{"splice", "copy", "lines"} {
		t.Run(kind, func(t *testing.T) {
			d, s, r, out, writer, _ := heldStream(t, kind)
			line := bytes.Repeat([]byte("the same line, again and again\n"), 2048)
			go func() {
				defer unix.Close(writer)
				// Until the forwarder closes the read end: EPIPE (tests
				// ignore SIGPIPE on fds other than 1 and 2).
				for {
					if _, err := quietio.WriteAll(writer, line); err != nil {
						break
					}
				}
			}()
			// A reader slower than the writer: the pipe stays full.
			go func() {
				buf := make([]byte, 4<<10)
				for {
					if _, err := r.Read(buf); err != nil {
						return
					}
					time.Sleep(time.Millisecond)
				}
			}()
			done := make(chan struct{})
			go func() { s.forward(); close(done) }()
			// Let the writer fill the pipe, then finish.
			for s.queued() == 0 {
				time.Sleep(time.Millisecond)
			}
			d.Finish()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the forwarder did not return while the writer wrote on")
			}
			unix.Close(out)
		})
	}
}
