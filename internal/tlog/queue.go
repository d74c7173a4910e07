package tlog

import (
	"strconv"
	"sync"
	"time"
	"tinit/internal/quietio"
)

// logQueueLines bounds the lines waiting for stderr. A fork loop or a
// signal storm under -vv can make lines faster than a slow reader takes
// them; past this, lines are dropped and counted.
const logQueueLines = 512

// logQueue hands tinit's lines to one writer goroutine, in order. A line
// that finds the queue full is dropped, and a line saying how many were
// dropped takes their place: a lost log line is better than a reaper
// that stops reaping, forwarding signals and ending leaks.
type logQueue struct {
	mu      sync.Mutex
	lines   []string
	dropped int
	queued  uint64 // lines ever queued, notices included
	written uint64 // of those, the ones written (or failed)
	wake    chan struct{}
	fd      int
}

func newLogQueue() *logQueue { return newLogQueueTo(2) }

func newLogQueueTo(fd int) *logQueue {
	q := &logQueue{wake: make(chan struct{}, 1), fd: fd}
	go q.writer()
	return q
}

func (q *logQueue) add(line string) {
	q.mu.Lock()
	if len(q.lines) >= logQueueLines {
		q.dropped++
		q.mu.Unlock()
		return
	}
	q.noteDropped()
	q.lines = append(q.lines, line)
	q.queued++
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// noteDropped queues the count of lines dropped since the last one queued;
// the caller holds mu. It may take one line more than the bound.
func (q *logQueue) noteDropped() {
	if q.dropped > 0 {
		q.lines = append(q.lines, "tinit: "+strconv.Itoa(q.dropped)+" log lines dropped: stderr was not read fast enough\n")
		q.queued++
		q.dropped = 0
	}
}

// writer writes what is queued, in one write per batch.
func (q *logQueue) writer() {
	var buf []byte
	for range q.wake {
		for {
			q.mu.Lock()
			batch := q.lines
			q.lines = nil
			q.mu.Unlock()
			if len(batch) == 0 {
				break
			}
			buf = buf[:0]
			for _, l := range batch {
				buf = append(buf, l...)
			}
			_ = quietio.WriteQuiet(q.fd, buf)
			q.mu.Lock()
			q.written += uint64(len(batch))
			q.mu.Unlock()
		}
	}
}

// flush waits until every line queued so far is written, or bound passed.
func (q *logQueue) flush(bound time.Duration) {
	q.mu.Lock()
	q.noteDropped()
	target := q.queued
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	for deadline := time.Now().Add(bound); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		q.mu.Lock()
		done := q.written >= target
		q.mu.Unlock()
		if done {
			return
		}
	}
}
