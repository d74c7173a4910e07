// Package render owns how tinit shows processes to a person: command lines
// and names made safe for a terminal, the process tree drawn with branches,
// one process per line within a fixed width, and JSON on one line. The leak
// report on stderr and `tinit ps` both draw through it, so they look alike.
// It reads nothing: what it draws comes from a procview.Snapshot.
package render
