// Package procview owns tinit's view of /proc: which processes exist, their
// parents, groups, states and command lines, which pipes each holds and in
// which direction, and signalling exactly the process a scan saw (a pidfd
// pins it against pid reuse). It decides nothing: the leak package and
// `tinit ps` draw their conclusions from its snapshots.
//
// Every /proc file is read through github.com/prometheus/procfs; what it
// has no call for (a fd's link, stat of a FIFO, kcmp) is a plain system
// call on the path beside it.
package procview
