// Command tinit is a tiny init for test containers: it runs one command as
// pid 1 or as a child subreaper, reaps every orphan, forwards signals, and
// exits with the command's status only once all of the command's output has
// been delivered. This file only wires the options to the packages.
package main

import (
	"errors"
	"os"

	"tinit/internal/drain"
	"tinit/internal/subreaper"
)

func main() {
	if err := subreaper.Preflight(); err != nil {
		fail(err.Error())
		os.Exit(subreaper.ExitFailure)
	}
	os.Exit(dispatch(os.Args[1:]))
}

func realMain(args []string) int {
	cfg, act, err := parse(args, os.Getenv)
	if err != nil {
		var ue *usageError
		if errors.As(err, &ue) {
			fail(err.Error() + " (see tinit --help)")
		} else {
			fail(err.Error())
		}
		return subreaper.ExitFailure
	}
	switch act {
	case actHelp:
		_ = drain.WriteQuiet(1, []byte(usage()))
		return 0
	case actVersion:
		_ = drain.WriteQuiet(1, []byte(versionLine()+"\n"))
		return 0
	}
	return subreaper.Run(cfg)
}

func fail(msg string) {
	_ = drain.WriteQuiet(2, []byte("tinit: "+msg+"\n"))
}
