// Package ps owns `tinit ps`: finding a tinit, reading the state it
// publishes (its main child, and which pipe is which stream), and making
// sense of what holds its pipes, as a tree and a summary in text or JSON.
// tinit writes that state through EncodeState; ps reads it, so the format
// has one owner.
package ps
