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
		if o.arg != "" {
			name += " " + o.arg
		}
		b.WriteString("  " + name + strings.Repeat(" ", max(1, 29-len(name))) + o.help + "\n")
	}
	var keys, tini []string
	for _, o := range options {
		if o.key != "" {
			keys = append(keys, o.key)
		}
		tini = append(tini, o.tiniNames...)
	}
	b.WriteString("\n")
	b.WriteString(wrap("Every option can also come from the environment as TINIT_<NAME>, where NAME is " + either(keys, "or") + "."))
	b.WriteString(wrap("tini's " + either(tini, "and") + " are read as tini reads them."))
	b.WriteString(`Options win over TINIT_*, and TINIT_* over TINI_*.

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

// either lists words as a sentence does: "a, b, c or d".
func either(words []string, last string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " " + last + " " + words[len(words)-1]
}

// wrap fills text into lines of at most 79 columns, each ending in a
// newline.
func wrap(text string) string {
	var b strings.Builder
	n := 0
	for _, w := range strings.Fields(text) {
		switch {
		case n == 0:
		case n+1+len(w) > 79:
			b.WriteString("\n")
			n = 0
		default:
			b.WriteString(" ")
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String() + "\n"
}
