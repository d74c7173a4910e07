package subreaper

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"tinit/internal/render"

	"golang.org/x/sys/unix"
)

// execError is a command that could not be started, with tinit's exit status
// for it.
type execError struct {
	cmd  string
	err  error
	code int
}

func (e *execError) Error() string {
	return "cannot run " + render.QuoteName(e.cmd) + ": " + e.err.Error()
}

// resolve finds the command as execvp(3) would: a name with a slash as it
// is, any other in $PATH (an empty entry meaning the working directory). The
// error says which status a failure earns: 127 for not found, 126 for found
// but not executable.
func resolve(name string) (string, error) {
	if name == "" {
		// execvp's ENOENT: bash and tini say "command not found" too.
		return "", &execError{name, errors.New("command not found"), ExitNotFound}
	}
	if strings.Contains(name, "/") {
		if err := executable(name); err != nil {
			return "", execFailure(name, err)
		}
		return name, nil
	}
	var denied error
	// Not filepath.SplitList, which makes "" no directory at all: to
	// execvp an empty PATH is one empty element, the working directory.
	for _, dir := range strings.Split(pathEnv(), ":") {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		err := executable(p)
		if err == nil {
			if !strings.Contains(p, "/") {
				p = "./" + p
			}
			return p, nil
		}
		if !notHere(err) && denied == nil {
			denied = err
		}
	}
	if denied != nil {
		return "", execFailure(name, denied)
	}
	return "", &execError{name, errors.New("command not found"), ExitNotFound}
}

// notHere tells that a directory of PATH holds no file by that name. A
// name too long for any directory (ENAMETOOLONG) or an element that is no
// directory (ENOTDIR) is in none, so the search goes on and, as in bash,
// ends in "command not found".
func notHere(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENAMETOOLONG) || errors.Is(err, unix.ENOTDIR)
}

func pathEnv() string {
	if p, ok := os.LookupEnv("PATH"); ok {
		return p
	}
	return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}

func executable(path string) error {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return unix.EISDIR
	}
	return unix.Access(path, unix.X_OK)
}

func execFailure(name string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return &execError{name, err, ExitNotFound}
	}
	if ownFailure(err) {
		return &startError{name, err}
	}
	return &execError{name, err, ExitCannotRun}
}

// ownFailure tells a shortage of tinit's own (fds, processes, memory) from
// a command that cannot be executed: the former is tinit's failure, 125,
// and says nothing about the command.
func ownFailure(err error) bool {
	for _, e := range []error{unix.EMFILE, unix.ENFILE, unix.EAGAIN, unix.ENOMEM} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// startError is tinit failing to start the command for want of a resource
// of its own.
type startError struct {
	cmd string
	err error
}

func (e *startError) Error() string {
	return "cannot start " + render.QuoteName(e.cmd) + ": " + e.err.Error()
}

// spawn starts the main child in its own process group, and in the
// terminal's foreground when stdin is tinit's controlling terminal, so that
// job control and Ctrl-C reach the child and not tinit. The child inherits
// tinit's environment, working directory, the fds tinit inherited (tinit's
// own are close-on-exec), and the signal mask tinit started with, less the
// signals the Go runtime never blocks in its threads (SIGHUP, SIGINT,
// SIGTERM, the fault signals, ...): the runtime restores the forking
// thread's mask in the child before exec.
func spawn(path string, argv []string, stdout, stderr int, tty bool) (int, error) {
	attr := &syscall.ProcAttr{
		Env:   os.Environ(),
		Files: []uintptr{openOrNone(0), openOrNone(stdout), openOrNone(stderr)},
		Sys:   &syscall.SysProcAttr{Setpgid: true, Foreground: tty, Ctty: 0},
	}
	pid, err := syscall.ForkExec(path, argv, attr)
	if errors.Is(err, syscall.ENOEXEC) {
		// execvp's rule, which tini, dumb-init and env follow: a file
		// the kernel cannot execute is a script for /bin/sh.
		shArgv := append([]string{shell, path}, argv[1:]...)
		if p, shErr := syscall.ForkExec(shell, shArgv, attr); shErr == nil || !errors.Is(shErr, syscall.ENOENT) {
			pid, err = p, shErr
		}
	}
	if err != nil {
		return 0, execFailure(argv[0], err)
	}
	return pid, nil
}

// shell runs what execvp runs a file without "#!" with.
const shell = "/bin/sh"

// openOrNone passes a closed fd on as closed rather than failing the start.
func openOrNone(fd int) uintptr {
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
		return ^uintptr(0)
	}
	return uintptr(fd)
}

// controllingTTY tells whether stdin is tinit's controlling terminal; only
// then can the child be given its foreground.
func controllingTTY() bool {
	_, err := unix.IoctlGetInt(0, unix.TIOCGPGRP)
	return err == nil
}
