package subreaper

import (
	"time"
	"tinit/internal/leak"
	"tinit/internal/report"
)

// failed ends a run that did not get its main child going (the error
// policy before the child starts, stated in Run): tinit's one line on
// stderr, and a report saying so, so that no stale report from an earlier
// run is left for CI to read.
func (r *run) failed(code int, msg string) int {
	r.l.Error(msg)
	if err := WriteFailureReport(r.cfg, r.start, code, msg); err != nil {
		r.l.Error("writing the report: ", err.Error())
	}
	return code
}

// WriteFailureReport writes cfg's report, if it asks for one, for a run
// that ended with code and msg before its main child was started. Saying
// that it could not is the caller's: only it knows whether tinit's log is
// running yet.
func WriteFailureReport(cfg Config, start time.Time, code int, msg string) error {
	if cfg.Report == "" {
		return nil
	}
	rep := &report.Run{
		Command:    cfg.Argv,
		ExitStatus: code,
		Error:      msg,
		TotalMs:    time.Since(start).Milliseconds(),
		Leaked:     []*leak.Leak{},
	}
	return report.Write(cfg.Report, rep)
}
