package procview

import (
	"os"
	"strconv"
)

// ProcName is the command name of pid, for a log line about a child that
// has exited and is not yet reaped; "" when /proc cannot tell. A zombie has
// no command line left, only the name in stat. /proc must show tinit's own
// pid namespace, or the pid would name another process.
func ProcName(pid int) string {
	if link, err := os.Readlink(procRoot + "/self"); err != nil || link != strconv.Itoa(os.Getpid()) {
		return ""
	}
	if p, ok := readProc(pid, false); ok {
		return p.Comm
	}
	return ""
}
