package main

import "strings"

// version and commit are set at build time by scripts/build-static.sh.
var version, commit = "dev", ""

func versionLine() string {
	c := commit
	if c == "" {
		c = "unknown"
	}
	return "tinit " + version + " (commit " + c + ")"
}

func usage() string {
	var b strings.Builder
	b.WriteString(`Usage: tinit [OPTIONS] [--] COMMAND [ARG...]
       tinit -P [OPTIONS]

Runs COMMAND as pid 1 or as a child subreaper, reaps every orphan, forwards
signals, and exits with COMMAND's status once its stdout and stderr have
reached end of file: no output is lost when the namespace goes away.
With -P it runs no command, as catatonit -P in a pod's infra container:
SIGTERM or SIGINT ends what it adopted (SIGTERM, then SIGKILL) and exits 0.

Options:
`)
	for _, o := range options {
		name := o.long
		if o.short != 0 {
			name = "-" + string(o.short) + ", " + name
		} else {
			name = "    " + name
		}
		help := o.help
		if o.takesValue {
			arg, rest, _ := strings.Cut(help, ": ")
			name += " " + arg
			help = rest
		}
		b.WriteString("  " + name + strings.Repeat(" ", max(1, 29-len(name))) + help + "\n")
	}
	b.WriteString(`
Every option can also come from the environment as TINIT_<NAME>, where NAME is
SUBREAPER, PGROUP, PDEATHSIG, REMAP_EXIT, REWRITE, PAUSE, VERBOSITY,
WARN_ON_REAP, KILL_AFTER, GRACE, NO_DRAIN, STDOUT_FILE, STDERR_FILE or REPORT.
tini's TINI_SUBREAPER, TINI_KILL_PROCESS_GROUP and TINI_VERBOSITY are read as
tini reads them.
Options win over TINIT_*, and TINIT_* over TINI_*.

Exit status: COMMAND's exit code, or 128+N if a signal N killed it (0 with
-P); 126 if COMMAND cannot be executed, 127 if it is not found,
125 for a usage error or a failure of tinit's own (such as running out of
fds, processes or memory while starting COMMAND).

tinit ps [--json] [PID] shows the processes below a running tinit (pid 1 by
default) and which of them hold its output open; to run a program named ps
under tinit, write tinit -- ps.
`)
	return b.String()
}
