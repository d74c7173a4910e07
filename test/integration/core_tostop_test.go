package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A tinit started in the background of a shell with job control, on a
// terminal set to `stty tostop`, with stdin not the terminal: its own lines
// on the terminal and the child's output in a file both arrive, tinit exits
// with the child's status, and it does not spin on SIGTTOU (a caught
// SIGTTOU would restart each write to the terminal forever).
func TestCoreBackgroundOnTostopTerminal(t *testing.T) {
	requireTool(t, "bash", "bash")
	requireTool(t, "stty", "coreutils")
	forCoreModes(t, func(t *testing.T, m coreMode) {
		master, slave := openPty(t)
		outFile := filepath.Join(t.TempDir(), "out")
		tinit := sh(m.argv(t, "-v", "--", "sh", "-c", "echo out; exit 3")...)
		script := "stty tostop; set -m; " + tinit + " </dev/null >" + sh(outFile) + " & wait $!; echo \"status=$?\"; times"
		cmd := exec.Command("bash", "--norc", "--noprofile", "-c", script)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		slave.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var term lockedBuffer
		go func() {
			buf := make([]byte, 4096)
			for {
				n, err := master.Read(buf)
				term.Write(buf[:n])
				if err != nil {
					return
				}
			}
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cpu := 0
			for _, st := range allStats() {
				if comm := readString("/proc/" + strconv.Itoa(st.pid) + "/comm"); comm == "tinit\n" && isDescendant(st.pid, cmd.Process.Pid) {
					cpu = cpuTicks(t, st.pid) * 1000 / clockTicks
				}
			}
			killTree(cmd.Process.Pid)
			<-done
			t.Fatalf("tinit did not finish within 20 s (it used %d ms of CPU); terminal:\n%s", cpu, term.String())
		}
		// The terminal may still hold the last lines for the reader.
		waitFor(t, 5*time.Second, "bash's times on the terminal", func() bool {
			s := term.String()
			i := strings.Index(s, "status=")
			return i >= 0 && strings.Count(s[i:], "\n") >= 3
		})
		got := strings.ReplaceAll(term.String(), "\r\n", "\n")
		if !strings.Contains(got, "status=3\n") {
			t.Fatalf("tinit's status is not 3; terminal:\n%s", got)
		}
		if !strings.Contains(got, "tinit: started \"sh\"") && !strings.Contains(got, "tinit: started sh") {
			t.Errorf("tinit's start line is not on the terminal:\n%s", got)
		}
		if !strings.Contains(got, "tinit: exiting with status 3\n") {
			t.Errorf("tinit's last line is not on the terminal:\n%s", got)
		}
		if b, _ := os.ReadFile(outFile); string(b) != "out\n" {
			t.Errorf("the child's output is %q, want %q", b, "out\n")
		}
		// times: the shell's user and system time, then its children's.
		lines := strings.Split(strings.TrimSpace(got[strings.Index(got, "status=3\n")+len("status=3\n"):]), "\n")
		if len(lines) < 2 {
			t.Fatalf("no times on the terminal:\n%s", got)
		}
		var total time.Duration
		for _, f := range strings.Fields(lines[1]) {
			d, err := time.ParseDuration(f)
			if err != nil {
				t.Fatalf("times said %q: %v", lines[1], err)
			}
			total += d
		}
		if total > 300*time.Millisecond {
			t.Errorf("tinit and its children used %v of CPU, want under 300 ms; terminal:\n%s", total, got)
		}
	})
}
