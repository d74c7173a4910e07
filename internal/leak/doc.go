// Package leak owns the end of a run, once the main child has exited:
// which processes hold the output pipes open (directly, or upstream of a
// relay such as tee), which are sources to end and which are relays to
// leave to finish, the one TERM-then-KILL Escalation used for holders and
// for every other descendant (with the kill(2) fallback when /proc cannot
// name them), when to stop waiting for what cannot be reached, and the leak
// report a person reads on stderr.
//
// It is all decided in one place, Ending.Decide (decide.go): given the
// facts subreaper's loop knows (when the main child exited, when the
// output was complete, whether a child is left; stop signals come through
// Ending.Stop), it moves the phases on (child running, grace, ending
// holders, ending the rest, done), runs the round the phase calls for, and
// returns a Decision the loop only carries out: keep waiting, end (the
// round has signalled), give up on the output, or exit. Every wait of the
// end phase, the grace and the rounds' pace included, has a name of its
// own in Clocks, which --grace and --kill-after set.
package leak
