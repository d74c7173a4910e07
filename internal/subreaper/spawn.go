package subreaper

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"tinit/internal/drain"
)

// execError is a command that could not be started, with tinit's exit status
// for it.
type execError struct {
	cmd  string
	err  error
	code int
}

func (e *execError) Error() string { return "cannot run " + drain.Quote(e.cmd) + ": " + e.err.Error() }

// resolve finds the command as execvp(3) would: a name with a slash as it
// is, any other in $PATH (an empty entry meaning the working directory). The
// error says which status a failure earns: 127 for not found, 126 for found
// but not executable.
func resolve(name string) (string, error) {
	if strings.Contains(name, "/") {
		if err := executable(name); err != nil {
			return "", execFailure(name, err)
		}
		return name, nil
	}
	var denied error
	for _, dir := range filepath.SplitList(pathEnv()) {
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
		if !errors.Is(err, fs.ErrNotExist) && denied == nil {
			denied = err
		}
	}
	if denied != nil {
		return "", execFailure(name, denied)
	}
	return "", &execError{name, errors.New("command not found"), ExitNotFound}
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
	return &execError{name, err, ExitCannotRun}
}

// spawn starts the main child in its own process group, and in the
// terminal's foreground when stdin is tinit's controlling terminal, so that
// job control and Ctrl-C reach the child and not tinit. The child inherits
// tinit's environment, working directory, the fds tinit inherited (tinit's
// own are close-on-exec), and the signal mask tinit started with: the Go
// runtime restores that mask in the child before exec.
func spawn(path string, argv []string, stdout, stderr int, tty bool) (int, error) {
	attr := &syscall.ProcAttr{
		Env:   os.Environ(),
		Files: []uintptr{openOrNone(0), openOrNone(stdout), openOrNone(stderr)},
		Sys:   &syscall.SysProcAttr{Setpgid: true, Foreground: tty, Ctty: 0},
	}
	pid, err := syscall.ForkExec(path, argv, attr)
	if err != nil {
		code := ExitCannotRun
		if errors.Is(err, syscall.ENOENT) {
			code = ExitNotFound
		}
		return 0, &execError{argv[0], err, code}
	}
	return pid, nil
}

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
