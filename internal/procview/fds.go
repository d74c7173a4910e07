package procview

import (
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/prometheus/procfs"
	"golang.org/x/sys/unix"
)

// PipeEnd is a pipe read end in a process's fd table.
type PipeEnd struct {
	Fd    int
	Inode uint64
}

// PipeReadEnds lists pid's pipe read ends that are close-on-exec. tinit
// makes its own pipes close-on-exec; a pipe it inherited (stdin from a shell
// pipeline, say) survived tinit's exec, so it is not.
func PipeReadEnds(pid int) ([]PipeEnd, error) {
	fs, err := procfs.NewFS(procRoot)
	if err != nil {
		return nil, err
	}
	h, err := fs.Proc(pid)
	if err != nil {
		return nil, err
	}
	var r scanner
	fds, err := r.pipeFds(task{h, procDir(pid)})
	if err != nil {
		return nil, err
	}
	var out []PipeEnd
	for _, p := range fds {
		if p.flags&unix.O_ACCMODE == unix.O_RDONLY && p.flags&unix.O_CLOEXEC != 0 {
			out = append(out, PipeEnd{Fd: p.fd, Inode: p.inode})
		}
	}
	return out, nil
}

// FdIsTerminal tells from its path whether pid's fd is a terminal. Opening
// it to ask the terminal itself could have side effects on a device that
// only looks like one.
func FdIsTerminal(pid, fd int) bool {
	link, err := os.Readlink(fdPath(pid, fd))
	if err != nil {
		return false
	}
	return strings.HasPrefix(link, "/dev/pts/") || strings.HasPrefix(link, "/dev/tty") || link == "/dev/console"
}

// SameFile tells whether pid's fds a and b are the same file.
func SameFile(pid, a, b int) bool {
	sa, err := os.Stat(fdPath(pid, a))
	if err != nil {
		return false
	}
	sb, err := os.Stat(fdPath(pid, b))
	return err == nil && os.SameFile(sa, sb)
}

// RunsOwnExecutable tells whether pid runs the same executable file as the
// caller, or one named name (another copy of it, or one since deleted).
// An error says it cannot tell: another user's exe link is not the
// caller's to read.
func RunsOwnExecutable(pid int, name string) (bool, error) {
	exe := procDir(pid) + "/exe"
	if self, err := os.Stat(procRoot + "/self/exe"); err == nil {
		if st, err := os.Stat(exe); err == nil && os.SameFile(self, st) {
			return true, nil
		}
	}
	link, err := os.Readlink(exe)
	if err != nil {
		return false, err
	}
	return path.Base(strings.TrimSuffix(link, " (deleted)")) == name, nil
}

// Memfds are the contents of pid's memfds named name, which tinit uses to
// publish its state.
func Memfds(pid int, name string) [][]byte {
	fs, err := procfs.NewFS(procRoot)
	if err != nil {
		return nil
	}
	h, err := fs.Proc(pid)
	if err != nil {
		return nil
	}
	fds, err := h.FileDescriptors()
	if err != nil {
		return nil
	}
	var out [][]byte
	for _, fd := range fds {
		path := fdPath(pid, int(fd))
		if link, err := os.Readlink(path); err != nil || link != "/memfd:"+name+" (deleted)" {
			continue
		}
		if b, err := os.ReadFile(path); err == nil {
			out = append(out, b)
		}
	}
	return out
}

func fdPath(pid, fd int) string {
	return procDir(pid) + "/fd/" + strconv.Itoa(fd)
}
