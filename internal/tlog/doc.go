// Package tlog owns tinit's own lines on stderr ("tinit: ..."): the levels
// (-v, -vv), and the bounded queue and its one writer goroutine, so that
// the loop never waits for a reader of stderr and a lost line is counted
// instead of stopping the reaper.
package tlog
