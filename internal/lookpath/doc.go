// Package lookpath owns finding the command to run as execvp(3) would,
// through $PATH. It says what it found or why not; which exit status that
// earns is subreaper's.
package lookpath
