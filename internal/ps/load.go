package ps

import (
	"errors"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"tinit/internal/procview"
	"tinit/internal/render"

	"golang.org/x/sys/unix"
)

// What `tinit ps` can fail with, for errors.Is; procview.ErrNoProc too.
var (
	ErrNotTinit = errors.New("no tinit at that pid")
	ErrDenied   = errors.New("permission denied")
)

// psError is a one-line message of a kind.
type psError struct {
	msg  string
	kind error
}

func (e *psError) Error() string { return e.msg }
func (e *psError) Unwrap() error { return e.kind }

// Load reads what `tinit ps` shows about the tinit at pid.
func Load(pid int) (*Input, error) {
	snap, err := procview.Scan(true)
	if err != nil {
		return nil, &psError{"cannot look at processes: " + err.Error(), procview.ErrNoProc}
	}
	uptime, err := uptimeTicks()
	if err != nil {
		return nil, &psError{"cannot read the time since boot: " + err.Error(), procview.ErrNoProc}
	}
	self := snap.Self
	t := snap.Procs[pid]
	switch {
	case t == nil && unix.Kill(pid, 0) == unix.EPERM:
		// It exists, and belongs to another user, yet /proc does not list
		// it: /proc is mounted with hidepid=2 (or invisible).
		return nil, &psError{"cannot see process " + strconv.Itoa(pid) +
			": permission denied (/proc is mounted with hidepid, which hides other users' processes); run tinit ps as tinit's user or as root", ErrDenied}
	case t == nil:
		return nil, &psError{"no process " + strconv.Itoa(pid) + " here" + hint(snap, pid), ErrNotTinit}
	case pid == self:
		return nil, &psError{"pid " + strconv.Itoa(pid) + " is this tinit ps itself", ErrNotTinit}
	}
	if ok, err := isTinit(t); !ok {
		if errors.Is(err, fs.ErrPermission) {
			return nil, &psError{"cannot tell what pid " + strconv.Itoa(pid) + " (" + render.Quote(t.Comm) +
				") runs: permission denied; run tinit ps as its user or as root", ErrDenied}
		}
		return nil, &psError{"pid " + strconv.Itoa(pid) + " (" + render.Quote(t.Comm) + ") is not tinit" + hint(snap, pid), ErrNotTinit}
	}
	pipes, err := procview.PipeReadEnds(pid)
	if errors.Is(err, fs.ErrPermission) {
		return nil, &psError{"cannot read the fds of tinit (pid " + strconv.Itoa(pid) +
			"): permission denied; run tinit ps as tinit's user or as root", ErrDenied}
	}
	if err != nil {
		return nil, &psError{"no process " + strconv.Itoa(pid) + " here: it has exited", ErrNotTinit}
	}
	snap.Self = pid
	in := &Input{Snap: snap, Pipes: pipes, Uptime: uptime, State: readState(pid)}
	for fd := 1; fd <= 2; fd++ {
		in.TTY[fd] = procview.FdIsTerminal(pid, fd)
	}
	in.OneOutput = procview.SameFile(pid, 1, 2)
	return in, nil
}

// isTinit accepts the process if it runs the same executable file as this
// tinit ps (however either is named: docker-init, podman-init, /init), or if
// its executable or its command name is tinit (another copy of it).
// Only a process that runs tinit holds the pipes ps explains; the rule
// needs no guess about pipes or reaping, which any shell could imitate.
func isTinit(p *procview.Proc) (bool, error) {
	if p.Comm == "tinit" {
		return true, nil
	}
	return procview.RunsOwnExecutable(p.PID, "tinit")
}

// hint names the processes that look like tinit when pid is not one, so
// that a tinit running as a subreaper, not as pid 1, is found.
func hint(snap *procview.Snapshot, pid int) string {
	var found []int
	for _, p := range snap.Procs {
		if p.PID != pid && p.PID != snap.Self && p.Comm == "tinit" && !(len(p.Cmdline) > 1 && p.Cmdline[1] == "ps") {
			found = append(found, p.PID)
		}
	}
	if len(found) == 0 {
		return ""
	}
	sort.Ints(found)
	var pids []string
	for i, p := range found {
		if i == 5 {
			pids = append(pids, "…")
			break
		}
		pids = append(pids, strconv.Itoa(p))
	}
	return "; tinit runs here as pid " + strings.Join(pids, ", ") + " (tinit ps PID)"
}
