package lookpath

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrNotFound is a name found nowhere: "" or a name no directory of $PATH
// holds.
var ErrNotFound = errors.New("command not found")

// Find finds the command as execvp(3) would: a name with a slash as it is,
// any other in $PATH (an empty entry meaning the working directory). Its
// error is ErrNotFound, or why the file found (the first one, in a $PATH
// search) cannot be executed.
func Find(name string) (string, error) {
	if name == "" {
		// execvp's ENOENT: bash and tini say "command not found" too.
		return "", ErrNotFound
	}
	if strings.Contains(name, "/") {
		if err := executable(name); err != nil {
			return "", err
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
		return "", denied
	}
	return "", ErrNotFound
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
