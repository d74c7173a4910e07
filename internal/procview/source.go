package procview

import (
	"os"
	"strconv"

	"github.com/prometheus/procfs"
)

// procRoot is where procview looks; tests point it at a tree of files.
var procRoot = "/proc"

// ownFS is procRoot, once it is known to show tinit's own pid namespace:
// after `unshare --pid --fork` without --mount-proc, /proc still shows the
// old one, where tinit's pids would name other processes.
func ownFS() (procfs.FS, error) {
	fs, err := procfs.NewFS(procRoot)
	if err != nil {
		return procfs.FS{}, noProc(err)
	}
	self, err := fs.Self()
	switch {
	case err != nil:
		return procfs.FS{}, noProc(err)
	case self.PID != os.Getpid():
		return procfs.FS{}, errProcOfAnother
	}
	return fs, nil
}

// task is the part of a process whose fd table, state and wait channel are
// live: the process itself, or, when its main thread has exited
// (pthread_exit) and others still run, one of those under task/, as the
// process's own fd/ is then empty. dir is its directory, for the fd links
// procfs has no call for with their numbers.
type task struct {
	procfs.Proc
	dir string
}

func procDir(pid int) string { return procRoot + "/" + strconv.Itoa(pid) }

// at is where p is in /proc, as its scan found it. A Proc that no scan
// made names no process tinit has looked at: errGone.
func (p *Proc) at() (procfs.Proc, task, error) {
	if p.task.dir == "" {
		return procfs.Proc{}, task{}, errGone
	}
	return p.proc, p.task, nil
}

// Stat is what /proc/PID/stat says about pid now, for tests that watch the
// processes tinit runs.
func Stat(pid int) (procfs.ProcStat, error) {
	fs, err := procfs.NewFS(procRoot)
	if err != nil {
		return procfs.ProcStat{}, err
	}
	h, err := fs.Proc(pid)
	if err != nil {
		return procfs.ProcStat{}, err
	}
	return h.Stat()
}
