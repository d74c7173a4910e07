// Command tinit is a tiny init for test containers: it runs one command as
// pid 1 or as a child subreaper, reaps every orphan, forwards signals, and
// exits with the command's status only once all of the command's output has
// been delivered. This file only wires the options to the packages.
package main

import (
	"errors"
	"os"
	"path/filepath"
	"time"

	"tinit/internal/limits"
	"tinit/internal/quietio"
	"tinit/internal/render"
	"tinit/internal/subreaper"
)

func main() {
	if err := limits.Preflight(); err != nil {
		fail(err.Error())
		os.Exit(subreaper.ExitFailure)
	}
	os.Exit(dispatch(os.Args[1:]))
}

func realMain(args []string) int {
	start := time.Now()
	cfg, act, err := parse(args, os.Getenv)
	if aerr := absReport(&cfg); aerr != nil {
		// There is nowhere to put the report.
		cfg.Report = ""
		if err == nil {
			err = aerr
		}
	}
	if err != nil {
		msg := err.Error()
		var ue *usageError
		if errors.As(err, &ue) {
			msg += " (see tinit --help)"
		}
		fail(msg)
		if err := subreaper.WriteFailureReport(cfg, start, subreaper.ExitFailure, msg); err != nil {
			fail("writing the report: " + err.Error())
		}
		return subreaper.ExitFailure
	}
	switch act {
	case actHelp:
		_ = quietio.WriteQuiet(1, []byte(usage()))
		return 0
	case actVersion:
		_ = quietio.WriteQuiet(1, []byte(versionLine()+"\n"))
		return 0
	}
	return subreaper.Run(cfg)
}

// absReport makes --report's path absolute now, against the caller's
// working directory: tinit moves to / before it writes the report.
func absReport(cfg *subreaper.Config) error {
	if cfg.Report == "" || filepath.IsAbs(cfg.Report) {
		return nil
	}
	p, err := filepath.Abs(cfg.Report)
	if err != nil {
		return errors.New("--report " + render.Quote(cfg.Report) + ": " + err.Error())
	}
	cfg.Report = p
	return nil
}

// fail says why tinit stops before it runs anything, with the statuses
// subreaper.Run's error policy gives: it has caught no signal yet, and may
// have no room for another thread.
func fail(msg string) {
	_ = quietio.WriteBeforeSignals(2, []byte("tinit: "+msg+"\n"))
}
