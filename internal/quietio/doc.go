// Package quietio owns tinit's own writes that must never block for good,
// raise a signal tinit would forward, or hang on a FIFO nobody reads:
// writing with SIGPIPE, SIGTTOU and SIGXFSZ held back on the writing thread
// (WriteQuiet, and the bare WriteBeforeSignals for the words before tinit
// catches any signal), and opening a path for writing that may be a FIFO
// (OpenNoHang). The child's streams (drain), tinit's log lines, the report
// and `tinit ps` all write through it, so the rules live in one place.
//
// It knows nothing of streams, processes or formats: it is a leaf.
package quietio
