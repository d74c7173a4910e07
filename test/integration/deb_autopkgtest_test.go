package integration

import (
	"debug/elf"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// debUnderTest is the .deb TINIT_DEB names, which scripts/deb-check.sh
// builds and then runs the TestDeb tests on; without it they skip. Each
// runs the package's tests with autopkgtest.
func debUnderTest(t *testing.T) string {
	t.Helper()
	deb := os.Getenv("TINIT_DEB")
	if deb == "" {
		t.Skip("TINIT_DEB names no .deb; scripts/deb-check.sh builds one and runs this test")
	}
	if _, err := os.Stat(deb); err != nil {
		t.Fatalf("TINIT_DEB: %v", err)
	}
	requireTool(t, "autopkgtest", "autopkgtest")
	return deb
}

// TestDebAutopkgtestNull runs the package's own tests (debian/tests:
// early-late, leaked-writer, ps) with autopkgtest's null backend against
// a freshly built .deb, the one TINIT_DEB names: scripts/deb-check.sh
// builds it in a clean chroot and then runs this test. The null backend
// installs the .deb on this machine, so the test refuses to run where a
// tinit package is installed already, and purges it afterwards.
func TestDebAutopkgtestNull(t *testing.T) {
	deb := debUnderTest(t)
	if os.Geteuid() != 0 {
		skipOrFail(t, "the null backend installs the .deb: run as root")
	}
	if st, _ := exec.Command("dpkg-query", "-W", "-f=${db:Status-Status}", "tinit").Output(); len(st) > 0 && string(st) != "not-installed" {
		t.Fatalf("a tinit package is installed here already (%s): the null backend would replace it", st)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("dpkg", "--purge", "tinit").CombinedOutput(); err != nil {
			t.Errorf("dpkg --purge tinit: %v\n%s", err, out)
		}
	})
	// Only debian/ matters to autopkgtest: give it no more of the tree.
	src := filepath.Join(t.TempDir(), "tinit")
	if err := os.CopyFS(filepath.Join(src, "debian"), os.DirFS(filepath.Join(repoRoot, "debian"))); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	r := run(t, 10*time.Minute, "autopkgtest", "--output-dir", out, deb, src+"/", "--", "null")
	summary, _ := os.ReadFile(filepath.Join(out, "summary"))
	if r.Code != 0 {
		t.Fatalf("autopkgtest exited %d\nsummary:\n%s\nstderr:\n%s", r.Code, summary, tail(r.Stderr, 60))
	}
	for _, name := range []string{"early-late", "leaked-writer", "ps"} {
		if !regexp.MustCompile(`(?m)^` + name + ` +PASS$`).Match(summary) {
			t.Errorf("%s did not pass:\n%s", name, summary)
		}
	}
	// The tests ran the installed binary, as pid 1 and as a subreaper.
	for _, want := range []string{
		"ok: tinit as pid 1 printed early and late and exited 3",
		"ok: tinit as a subreaper ended the leaked writer with SIGKILL",
		"ok: tinit ps showed the main child and the leak; tinit exited 143",
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("autopkgtest's output lacks %q:\n%s", want, tail(r.Stdout, 60))
		}
	}
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestDebBinaryAsShipped looks into the .deb that TINIT_DEB names: a static
// /usr/bin/tinit for this machine, both man pages, and, read through the
// symbols of the -dbgsym package beside it, the runtime's GODEBUG defaults
// replaced by the project's link flag alone (dh-golang's GOPATH mode would
// otherwise record Go 1.20's).
func TestDebBinaryAsShipped(t *testing.T) {
	deb := os.Getenv("TINIT_DEB")
	if deb == "" {
		t.Skip("TINIT_DEB names no .deb; scripts/deb-check.sh builds one and runs this test")
	}
	requireTool(t, "dpkg-deb", "dpkg")
	dir := t.TempDir()
	dbgsym := strings.Replace(deb, "/tinit_", "/tinit-dbgsym_", 1)
	for _, d := range []string{deb, dbgsym} {
		if r := run(t, time.Minute, "dpkg-deb", "-x", d, dir); r.Code != 0 {
			t.Fatalf("dpkg-deb -x %s: %s", d, r.Stderr)
		}
	}
	bin := filepath.Join(dir, "usr", "bin", "tinit")
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != debArch[hostArch(t)].machine {
		t.Errorf("/usr/bin/tinit is for %v", f.Machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("/usr/bin/tinit is not static: it has %v", p.Type)
		}
	}
	for _, page := range []string{"tinit.1.gz", "tinit-ps.1.gz"} {
		if _, err := os.Stat(filepath.Join(dir, "usr", "share", "man", "man1", page)); err != nil {
			t.Errorf("the package lacks its man page: %v", err)
		}
	}
	debugs, _ := filepath.Glob(filepath.Join(dir, "usr", "lib", "debug", ".build-id", "*", "*.debug"))
	if len(debugs) != 1 {
		t.Fatalf("want one .debug file in %s, found %q", dbgsym, debugs)
	}
	dbg, err := elf.Open(debugs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer dbg.Close()
	syms, err := dbg.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, s := range syms {
		if s.Name == "runtime.godebugDefault" {
			// A Go string: pointer and length, then the bytes.
			h := elfRead(t, f, s.Value, 16)
			got = string(elfRead(t, f, binary.LittleEndian.Uint64(h), binary.LittleEndian.Uint64(h[8:])))
		}
	}
	if got != "asyncpreemptoff=1" {
		t.Errorf("runtime.godebugDefault is %q, want asyncpreemptoff=1", got)
	}
}

// elfRead reads n bytes at virtual address addr of a loaded segment of f;
// past the end of the file's part (.bss) they are zero, as when loaded.
func elfRead(t *testing.T, f *elf.File, addr, n uint64) []byte {
	t.Helper()
	if n == 0 {
		return nil
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && addr >= p.Vaddr && addr+n <= p.Vaddr+p.Memsz {
			b := make([]byte, n)
			if off := addr - p.Vaddr; off < p.Filesz {
				if _, err := p.ReadAt(b[:min(n, p.Filesz-off)], int64(off)); err != nil {
					t.Fatal(err)
				}
			}
			return b
		}
	}
	t.Fatalf("address %#x is in no loaded segment", addr)
	return nil
}
