// Package state owns what tinit publishes for `tinit ps`: the format of its
// state memfd (the main child, and which pipe is which stream), the names
// of the streams, and the memfd tinit keeps and rewrites in place. tinit
// writes it and ps reads it, so neither has to import the other.
package state
