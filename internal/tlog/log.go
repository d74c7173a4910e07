package tlog

import (
	"strings"
	"time"
)

// Logger writes tinit's own lines to stderr through a logQueue, so the loop
// never waits for a reader of stderr, and without ever raising a SIGPIPE
// that the loop would forward to the child.
type Logger struct {
	verbosity int
	q         *logQueue
}

// logFlushBound is how long tinit waits at exit for its last log lines to
// reach a stderr that nobody reads.
const logFlushBound = 2 * time.Second

// New is tinit's log on stderr, at verbosity (-v counts).
func New(verbosity int) Logger { return Logger{verbosity, newLogQueue()} }

// NewTo is a log on fd instead, for tests.
func NewTo(verbosity, fd int) Logger { return Logger{verbosity, newLogQueueTo(fd)} }

func (l Logger) write(msg string) { l.q.add("tinit: " + msg + "\n") }

// Flush waits, at most logFlushBound, until every line queued is written.
func (l Logger) Flush() { l.q.flush(logFlushBound) }

// Error and Warn always print; Info needs -v, Debug -vv. A message is its
// parts joined.
func (l Logger) Error(parts ...string) { l.write(strings.Join(parts, "")) }
func (l Logger) Warn(parts ...string)  { l.write("warning: " + strings.Join(parts, "")) }
func (l Logger) Info(parts ...string) {
	if l.verbosity >= 1 {
		l.write(strings.Join(parts, ""))
	}
}
func (l Logger) Debug(parts ...string) {
	if l.verbosity >= 2 {
		l.write(strings.Join(parts, ""))
	}
}
