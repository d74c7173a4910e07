package procview

// ProcName is the command name of pid, for a log line about a child that
// has exited and is not yet reaped; "" when /proc cannot tell. A zombie has
// no command line left, only the name in stat. /proc must show tinit's own
// pid namespace, or the pid would name another process.
func ProcName(pid int) string {
	fs, err := ownFS()
	if err != nil {
		return ""
	}
	h, err := fs.Proc(pid)
	if err != nil {
		return ""
	}
	st, err := h.Stat()
	if err != nil {
		return ""
	}
	return st.Comm
}
