package subreaper

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// A shortage of tinit's own is 125 and says "cannot start"; the command's
// own trouble is 126 or 127 and says "cannot run".
func TestExecFailureStatus(t *testing.T) {
	for _, c := range []struct {
		err  error
		code int
		msg  string
	}{
		{unix.EMFILE, ExitFailure, "cannot start x: too many open files"},
		{unix.ENFILE, ExitFailure, "cannot start x: too many open files in system"},
		{unix.EAGAIN, ExitFailure, "cannot start x: resource temporarily unavailable"},
		{unix.ENOMEM, ExitFailure, "cannot start x: cannot allocate memory"},
		{unix.ENOENT, ExitNotFound, "cannot run x: no such file or directory"},
		{unix.EACCES, ExitCannotRun, "cannot run x: permission denied"},
		{unix.ENOEXEC, ExitCannotRun, "cannot run x: exec format error"},
		{unix.E2BIG, ExitCannotRun, "cannot run x: argument list too long"},
	} {
		err := execFailure("x", c.err)
		code := ExitFailure
		var ee *execError
		if errors.As(err, &ee) {
			code = ee.code
		}
		if code != c.code || err.Error() != c.msg {
			t.Errorf("%v: %d %q, want %d %q", c.err, code, err, c.code, c.msg)
		}
	}
}
