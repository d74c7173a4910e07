// Package leak owns what tinit does about processes left behind once the
// main child has exited: which of them hold the output pipes open (directly,
// or upstream of a relay such as tee), which are sources to end and which
// are relays to leave to finish, the one TERM-then-KILL Escalation used for
// holders and for every other descendant (with the kill(2) fallback when
// /proc cannot name them), when to stop waiting for a holder nobody can
// see, and the leak report a person reads on stderr. Ending drives all of
// it round by round and returns a Decision; when each round runs is
// subreaper's loop's call. Every wait of the end phase has a name of its
// own in Clocks, which --kill-after sets.
package leak
