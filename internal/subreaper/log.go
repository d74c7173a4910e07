package subreaper

import (
	"strings"
	"time"
)

// logger writes tinit's own lines to stderr through a logQueue, so the loop
// never waits for a reader of stderr, and without ever raising a SIGPIPE
// that the loop would forward to the child.
type logger struct {
	verbosity int
	q         *logQueue
}

// logFlushBound is how long tinit waits at exit for its last log lines to
// reach a stderr that nobody reads.
const logFlushBound = 2 * time.Second

func newLogger(verbosity int) logger { return logger{verbosity, newLogQueue()} }

func (l logger) write(msg string) { l.q.add("tinit: " + msg + "\n") }

// flush waits, at most logFlushBound, until every line queued is written.
func (l logger) flush() { l.q.flush(logFlushBound) }

// Error and Warn always print; Info needs -v, Debug -vv. A message is its
// parts joined.
func (l logger) Error(parts ...string) { l.write(strings.Join(parts, "")) }
func (l logger) Warn(parts ...string)  { l.write("warning: " + strings.Join(parts, "")) }
func (l logger) Info(parts ...string) {
	if l.verbosity >= 1 {
		l.write(strings.Join(parts, ""))
	}
}
func (l logger) Debug(parts ...string) {
	if l.verbosity >= 2 {
		l.write(strings.Join(parts, ""))
	}
}
