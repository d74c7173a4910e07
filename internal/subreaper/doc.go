// Package subreaper owns tinit's life as an init: becoming pid 1's stand-in
// (a child subreaper) when it is not pid 1, starting the main child (or,
// with -P, none: a pause), the one and only wait4(-1) loop and its phases
// (child running, grace, ending holders, ending the rest, done), forwarding
// signals as -r rewrites them, the exit status, and what goes in the
// --report (the report package owns its JSON and its file). What ending a
// leak means, and the words for it, belong to the leak package; the loop
// decides when.
//
// Every wait happens in one loop on one goroutine. A second waiter (an
// exec.Cmd.Wait, a background reaper) would steal exit statuses from it.
package subreaper
