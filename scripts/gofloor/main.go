// Command gofloor is the least any init written in Go does: start the Go
// runtime, fork and exec its argument, wait for it. scripts/bench.sh times
// it beside tinit and tini-static, so the start-up table shows how much of
// tinit's cost is the runtime's and how much is tinit's own.
package main

import (
	"os"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		os.Exit(2)
	}
	pid, err := syscall.ForkExec(os.Args[1], os.Args[1:], &syscall.ProcAttr{Files: []uintptr{0, 1, 2}})
	if err != nil {
		os.Exit(127)
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
		os.Exit(1)
	}
	os.Exit(ws.ExitStatus())
}
