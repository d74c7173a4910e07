package subreaper

import (
	"time"
	"tinit/internal/leak"
	"tinit/internal/report"
	"tinit/internal/tlog"
)

// failed ends a run that did not get its main child going: tinit's one
// line on stderr, and a report saying so, so that no stale report from an
// earlier run is left for CI to read.
func (r *run) failed(code int, msg string) int {
	r.l.Error(msg)
	WriteFailureReport(r.cfg, r.start, code, msg)
	return code
}

// WriteFailureReport writes cfg's report, if it asks for one, for a run
// that ended with code and msg before its main child was started.
func WriteFailureReport(cfg Config, start time.Time, code int, msg string) {
	if cfg.Report == "" {
		return
	}
	rep := &report.Run{
		Command:    cfg.Argv,
		ExitStatus: code,
		Error:      msg,
		TotalMs:    time.Since(start).Milliseconds(),
		Leaked:     []*leak.Leak{},
	}
	if err := report.Write(cfg.Report, rep); err != nil {
		tlog.Logger{}.Error("writing the report: ", err.Error())
	}
}
