// Package ps owns `tinit ps`: finding a tinit, reading the state it
// publishes (its main child, and which pipe is which stream), and making
// sense of what holds its pipes, as a tree and a summary in text or JSON.
// The state's format belongs to the state package, which tinit writes and
// ps reads; ps and subreaper sit side by side and neither imports the
// other.
package ps
