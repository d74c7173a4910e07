package subreaper

import (
	"strings"

	"tinit/internal/drain"
)

// logger writes tinit's own lines to stderr without ever raising a SIGPIPE
// that the loop would forward to the child.
type logger struct{ verbosity int }

func (l logger) write(msg string) { _ = drain.WriteQuiet(2, []byte("tinit: "+msg+"\n")) }

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
