// Package subreaper owns tinit's life as an init: becoming pid 1's stand-in
// (a child subreaper) when it is not pid 1, starting the main child (or,
// with -P, none: a pause), the one and only wait4(-1) loop, forwarding
// signals as -r rewrites them, the exit status, and what goes in the
// --report (the report package owns its JSON and its file). How the run
// ends is the leak package's to decide: each step of the loop gathers the
// facts (reaps, the end of the output, stop signals), asks leak's
// Ending.Decide, and carries out what it returns (run.go's step).
//
// Every wait happens in one loop on one goroutine. A second waiter (an
// exec.Cmd.Wait, a background reaper) would steal exit statuses from it.
package subreaper
