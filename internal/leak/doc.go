// Package leak owns what tinit does about processes left behind once the
// main child has exited: which of them hold the output pipes open (directly,
// or upstream of a relay such as tee), which are sources to end and which
// are relays to leave to finish, the one TERM-then-KILL escalation used for
// holders and for every other descendant, and the leak report a person
// reads on stderr.
package leak
