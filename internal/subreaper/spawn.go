package subreaper

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
	"tinit/internal/lookpath"
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

// resolve finds the command through $PATH; the error says which status a
// failure earns: 127 for not found, 126 for found but not executable.
func resolve(name string) (string, error) {
	p, err := lookpath.Find(name)
	if err == lookpath.ErrNotFound {
		return "", &execError{name, err, ExitNotFound}
	}
	if err != nil {
		return "", execFailure(name, err)
	}
	return p, nil
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
