package drain

import (
	"tinit/internal/quietio"

	"golang.org/x/sys/unix"
)

// sink is one of tinit's own outputs as the relay writes to it. The relay
// is one goroutine for every stream, so it must never sleep in a write: a
// slow reader of one output would hold up the other, and a thread asleep
// in the kernel is one more task. Outputs are open files tinit shares with
// whoever started it, so it may not make them non-blocking; each kind has
// its own way to write without waiting instead.
type sink struct {
	fd   int
	kind sinkKind
	// stage is a pipe of tinit's own, non-blocking at both ends: bytes
	// for a pipe output go into it first, and on to the output with
	// splice(2) and SPLICE_F_NONBLOCK, which moves only what fits.
	stage  [2]int
	staged int     // bytes in stage not yet moved on
	owner  *Stream // the stream whose piece is on its way, when streams share the sink
	// msgMax is the largest message a message socket took, 0 until one
	// was refused as too long.
	msgMax int
	broken error
}

type sinkKind int

const (
	sinkPipe   sinkKind = iota // through stage, or spliced straight from the stream's pipe
	sinkSocket                 // send(2) with MSG_DONTWAIT
	sinkFile                   // a regular file: write(2), which waits for the disk only
	sinkOther                  // a device, or what fstat fails on: write(2)
)

func newSink(fd int) *sink {
	k := &sink{fd: fd, kind: sinkOther, stage: [2]int{-1, -1}}
	var st unix.Stat_t
	if unix.Fstat(fd, &st) == nil {
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFIFO:
			k.kind = sinkPipe
		case unix.S_IFSOCK:
			k.kind = sinkSocket
		case unix.S_IFREG:
			k.kind = sinkFile
		}
	}
	return k
}

// prepare makes the stage a pipe sink needs for pieces from user memory,
// before the child starts. Without one the sink writes as a file would.
func (k *sink) prepare() {
	if k.kind != sinkPipe || k.stage[0] >= 0 {
		return
	}
	var p [2]int
	if unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK) != nil {
		k.kind = sinkOther
		return
	}
	// A stage that cannot grow (an unprivileged user past
	// pipe-user-pages-soft gets small pipes) only takes more turns: a
	// piece goes in as it fits, and the stream keeps the sink until all
	// of it is out, so the other stream's lines never come in between.
	growPipe(p[0], copyBufSize)
	k.stage = p
}

func (k *sink) close() {
	for i, fd := range k.stage {
		if fd >= 0 {
			_ = unix.Close(fd)
			k.stage[i] = -1
		}
	}
}

// put moves what it can of piece, of which sent bytes have reached the
// output already, without waiting for the output's reader. It returns how
// many more reached it, and whether the rest must wait for the output to
// take more (EPOLLOUT). An error is the output's: it is broken for good.
func (k *sink) put(piece []byte, sent int) (moved int, wait bool, err error) {
	if k.broken != nil {
		return 0, false, k.broken
	}
	_, err = quietio.Quietly(func() (int, error) {
		switch k.kind {
		case sinkPipe:
			moved, wait, err = k.putStaged(piece, sent)
		case sinkSocket:
			moved, wait, err = k.send(piece[sent:])
		case sinkFile:
			moved, err = rawWriteAll(k.fd, piece[sent:])
		default:
			moved, err = quietio.WriteAll(k.fd, piece[sent:])
		}
		return moved, err
	})
	if err != nil {
		k.broken = err
		k.drop()
	}
	return moved, wait, err
}

// putStaged fills the stage with what of piece is not in it yet, and
// splices the stage on to the output.
func (k *sink) putStaged(piece []byte, sent int) (moved int, wait bool, err error) {
	for {
		if rest := piece[sent+moved+k.staged:]; len(rest) > 0 {
			n, err := rawWrite(k.stage[1], rest)
			if err != nil && err != unix.EAGAIN && err != unix.EINTR {
				return moved, false, err
			}
			k.staged += max(n, 0)
		}
		if k.staged == 0 {
			return moved, false, nil
		}
		n, err := rawSplice(k.stage[0], k.fd, k.staged)
		switch {
		case err == unix.EINTR:
		case err == unix.EAGAIN:
			return moved, true, nil
		case err != nil:
			return moved, false, err
		default:
			k.staged -= int(n)
			moved += int(n)
		}
	}
}

func (k *sink) send(b []byte) (moved int, wait bool, err error) {
	for moved < len(b) {
		chunk := b[moved:]
		if k.msgMax > 0 && len(chunk) > k.msgMax {
			chunk = chunk[:k.msgMax]
		}
		n, err := rawSend(k.fd, chunk)
		switch {
		case err == unix.EINTR:
		case err == unix.EAGAIN:
			return moved, true, nil
		case err == unix.EMSGSIZE && len(chunk) > 1:
			// A message socket (SOCK_SEQPACKET, SOCK_DGRAM) takes no
			// message larger than its send buffer, where the child's own
			// smaller writes would have fit: smaller messages, then.
			k.msgMax = len(chunk) / 2
		case err == unix.ENOTSOCK || err == unix.EOPNOTSUPP || err == unix.ENOSYS:
			// Not a socket send(2) takes after all: write as to a file.
			k.kind = sinkOther
			n, err := quietio.WriteAll(k.fd, b[moved:])
			return moved + n, false, err
		case err != nil:
			return moved, false, err
		default:
			moved += n
		}
	}
	return moved, false, nil
}

// drop empties the stage of a broken output, whose bytes can go nowhere.
func (k *sink) drop() {
	if k.stage[0] < 0 {
		return
	}
	k.close()
	k.staged = 0
}
