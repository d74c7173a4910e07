// Package drain owns the child's output streams: the stdout and stderr
// pipes tinit hands to the child (one pipe for both when tinit's stdout and
// stderr are one destination), the forwarding of every byte to tinit's own
// stdout and stderr and to copy files, and knowing when the pipes reach end
// of file. It knows nothing of processes: who holds a pipe open is the leak
// package's question.
//
// A pipe reaches end of file only when every process holding its write end has
// closed it or died, so "both pipes at EOF" is the kernel's own proof that no
// output is still on its way. That is the condition tinit exits on.
//
// One relay goroutine carries every stream and never sleeps in the kernel
// (relay.go, sink.go), so forwarding takes no thread of tinit's task budget.
package drain
