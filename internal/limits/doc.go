// Package limits owns what the Go runtime needs from the system before
// tinit starts its child: the fds for its poller and the threads it will
// ever want (Preflight), made and held while they are still free
// (ReserveThreads). The runtime ends the process with a stack dump, not an
// error, when it cannot get either later, and the child may use up
// RLIMIT_NOFILE, RLIMIT_NPROC or a pids cgroup once it runs.
package limits
