// Command gofloor is the least any init written in Go does: start the Go
// runtime, fork and exec its argument, wait for it. scripts/bench.sh times
// it beside tinit and tini-static, so the start-up table shows how much of
// tinit's cost is the runtime's and how much is tinit's own.
//
// gofloor -signals first asks os/signal for the 58 signals tinit catches
// before it starts its child: the least an init in Go that forwards every
// signal pays, since os/signal enables each one with a round trip to a
// thread of the runtime's.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "-signals" {
		args = args[1:]
		c := make(chan os.Signal, 1)
		for n := 1; n <= 64; n++ {
			switch syscall.Signal(n) {
			case syscall.SIGKILL, syscall.SIGSTOP, syscall.SIGCHLD, syscall.SIGPROF, 32, 33:
				continue
			}
			signal.Notify(c, syscall.Signal(n))
		}
		signal.Notify(c, syscall.SIGCHLD)
	}
	if len(args) < 1 {
		os.Exit(2)
	}
	pid, err := syscall.ForkExec(args[0], args, &syscall.ProcAttr{Files: []uintptr{0, 1, 2}})
	if err != nil {
		os.Exit(127)
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
		os.Exit(1)
	}
	os.Exit(ws.ExitStatus())
}
