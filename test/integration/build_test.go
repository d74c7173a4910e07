package integration

import (
	"bytes"
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// amd64Budget is the size limit of the stripped amd64 binary: 3.0 MiB.
const amd64Budget = 3 << 20

// debArch maps Debian architectures to what Go calls them and the ELF
// machine they must carry.
var debArch = map[string]struct {
	goarch, goarm string
	machine       elf.Machine
}{
	"amd64":    {"amd64", "", elf.EM_X86_64},
	"arm64":    {"arm64", "", elf.EM_AARCH64},
	"armel":    {"arm", "5", elf.EM_ARM},
	"armhf":    {"arm", "7", elf.EM_ARM},
	"i386":     {"386", "", elf.EM_386},
	"ppc64el":  {"ppc64le", "", elf.EM_PPC64},
	"s390x":    {"s390x", "", elf.EM_S390},
	"riscv64":  {"riscv64", "", elf.EM_RISCV},
	"mips64el": {"mips64le", "", elf.EM_MIPS},
	"loong64":  {"loong64", "", elf.EM_LOONGARCH},
}

// hostArch is the Debian name of the architecture the tests run on.
func hostArch(t testing.TB) string {
	t.Helper()
	deb := debArchOf(runtime.GOARCH)
	if deb == "" {
		t.Skipf("no Debian architecture for GOARCH=%s", runtime.GOARCH)
	}
	return deb
}

// debArchOf is the Debian name of goarch ("armhf" for arm), or "".
func debArchOf(goarch string) string {
	for deb, a := range debArch {
		if a.goarch == goarch && (a.goarm == "" || a.goarm == "7") {
			return deb
		}
	}
	return ""
}

// buildStatic runs scripts/build-static.sh for arches into out.
func buildStatic(t testing.TB, out string, arches []string, env ...string) result {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(repoRoot, "scripts", "build-static.sh"),
		"--arch", strings.Join(arches, ","), "--out-dir", out)
	cmd.Env = append(os.Environ(), env...)
	return runCmd(t, 10*time.Minute, cmd)
}

var (
	distOnce sync.Once
	distPath string
	distRes  result
)

// buildDist builds, once per test binary, the architectures the tests look
// at: the host's, amd64 for the budget, and those the qemu tests run. It
// lives next to tinitBin, so TestMain removes it.
func buildDist(t testing.TB) string {
	t.Helper()
	host := hostArch(t)
	distOnce.Do(func() {
		distPath = filepath.Join(filepath.Dir(tinitBin), "dist")
		arches := []string{host, "amd64"}
		for _, q := range qemuArches {
			arches = append(arches, q.deb)
		}
		distRes = buildStatic(t, distPath, arches)
	})
	if distRes.Code != 0 {
		t.Fatalf("build-static.sh failed (%d):\n%s%s", distRes.Code, distRes.Stdout, distRes.Stderr)
	}
	return distPath
}

func TestBuildScriptHelp(t *testing.T) {
	script := filepath.Join(repoRoot, "scripts", "build-static.sh")
	r := run(t, 30*time.Second, "bash", script, "--help")
	if r.Code != 0 || r.Stderr != "" {
		t.Fatalf("--help: code %d, stderr %q", r.Code, r.Stderr)
	}
	for _, w := range []string{"--arch", "--out-dir", "--check", "--budget", "TINIT_VERSION", "SOURCE_DATE_EPOCH", "mips64el", "loong64"} {
		if !strings.Contains(r.Stdout, w) {
			t.Errorf("--help does not mention %s:\n%s", w, r.Stdout)
		}
	}
	r = run(t, 30*time.Second, "bash", script, "--arch", "amd64,sparc", "--out-dir", t.TempDir())
	if r.Code != 1 || !strings.Contains(r.Stderr, "unknown architecture: sparc") {
		t.Fatalf("unknown arch: code %d, stderr %q", r.Code, r.Stderr)
	}
}

// Every output is a static, stripped ELF of its architecture, built without
// cgo and with -trimpath, and SHA256SUMS lists exactly those files.
func TestBuildStaticOutputs(t *testing.T) {
	d := buildDist(t)
	if !strings.Contains(distRes.Stdout, "tinit-amd64 ") || !strings.Contains(distRes.Stdout, " bytes") {
		t.Errorf("the script does not print each size:\n%s", distRes.Stdout)
	}
	sums, err := os.ReadFile(filepath.Join(d, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for _, deb := range []string{"amd64", "arm64", "armhf", "ppc64el", "s390x", "riscv64"} {
		path := filepath.Join(d, "tinit-"+deb)
		a := debArch[deb]
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		want.WriteString(hex.EncodeToString(sum[:]) + "  tinit-" + deb + "\n")
		checkStaticELF(t, path, a.machine)
		bi, err := buildinfo.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		settings := map[string]string{}
		for _, s := range bi.Settings {
			settings[s.Key] = s.Value
		}
		for k, v := range map[string]string{"CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": a.goarch, "-trimpath": "true"} {
			if settings[k] != v {
				t.Errorf("%s: build setting %s=%q, want %q", path, k, settings[k], v)
			}
		}
		if a.goarm != "" && !strings.HasPrefix(settings["GOARM"], a.goarm) {
			t.Errorf("%s: GOARM=%q, want %s", path, settings["GOARM"], a.goarm)
		}
		if _, ok := settings["vcs.revision"]; ok {
			t.Errorf("%s: VCS stamping is on; the commit goes in by -X only", path)
		}
	}
	if string(sums) != want.String() {
		t.Errorf("SHA256SUMS:\n%s\nwant:\n%s", sums, want.String())
	}
}

// checkStaticELF fails unless path is an ELF for machine with no
// interpreter, no dynamic segment or section, and no symbol table.
func checkStaticELF(t *testing.T, path string, machine elf.Machine) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer f.Close()
	if f.Machine != machine {
		t.Errorf("%s: machine %v, want %v", path, f.Machine, machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("%s: has %v: not static", path, p.Type)
		}
	}
	for _, s := range f.Sections {
		if s.Type == elf.SHT_DYNAMIC || s.Type == elf.SHT_SYMTAB {
			t.Errorf("%s: has section %s (%v)", path, s.Name, s.Type)
		}
	}
}

// Two builds of the same tree give the same bytes, wherever they are put.
func TestBuildReproducible(t *testing.T) {
	arches := []string{"amd64", "arm64"}
	a, b := t.TempDir(), t.TempDir()
	for _, out := range []string{a, b} {
		if r := buildStatic(t, out, arches); r.Code != 0 {
			t.Fatalf("build-static.sh failed (%d):\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
	}
	for _, name := range []string{"tinit-amd64", "tinit-arm64", "SHA256SUMS"} {
		x, err := os.ReadFile(filepath.Join(a, name))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two builds of the same tree", name)
		}
	}
}

// --version reports what git says about the tree, or what the builder asks.
func TestBuildVersion(t *testing.T) {
	host := hostArch(t)
	r := run(t, 10*time.Second, filepath.Join(buildDist(t), "tinit-"+host), "--version")
	if r.Code != 0 {
		t.Fatalf("--version: code %d, stderr %q", r.Code, r.Stderr)
	}
	if head, err := exec.Command("git", "-C", repoRoot, "rev-parse", "HEAD").Output(); err == nil {
		desc, err := exec.Command("git", "-C", repoRoot, "describe", "--tags", "--always", "--abbrev=12").Output()
		if err != nil {
			t.Fatal(err)
		}
		// The tree may change between the build and this check: -dirty
		// is the script's business, the rest must match git.
		v := strings.TrimSpace(string(desc))
		c := strings.TrimSpace(string(head))
		if r.Stdout != "tinit "+v+" (commit "+c+")\n" && r.Stdout != "tinit "+v+"-dirty (commit "+c+")\n" {
			t.Errorf("--version says %q, want tinit %s[-dirty] (commit %s)", r.Stdout, v, c)
		}
	}

	out := t.TempDir()
	b := buildStatic(t, out, []string{host}, "TINIT_VERSION=1.2.3~rc1", "TINIT_COMMIT=0123456789ab")
	if b.Code != 0 {
		t.Fatalf("build-static.sh failed (%d):\n%s%s", b.Code, b.Stdout, b.Stderr)
	}
	r = run(t, 10*time.Second, filepath.Join(out, "tinit-"+host), "--version")
	if want := "tinit 1.2.3~rc1 (commit 0123456789ab)\n"; r.Stdout != want || r.Code != 0 {
		t.Errorf("--version: %q code %d, want %q", r.Stdout, r.Code, want)
	}
}

func TestBuildAmd64UnderBudget(t *testing.T) {
	st, err := os.Stat(filepath.Join(buildDist(t), "tinit-amd64"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > amd64Budget {
		t.Fatalf("tinit-amd64 is %d bytes, over the %d-byte budget", st.Size(), amd64Budget)
	}
	t.Logf("tinit-amd64: %d bytes, %d under budget", st.Size(), amd64Budget-st.Size())

	out := t.TempDir()
	cmd := exec.Command("bash", filepath.Join(repoRoot, "scripts", "build-static.sh"),
		"--arch", "amd64", "--out-dir", out, "--budget", "1000000")
	r := runCmd(t, 10*time.Minute, cmd)
	if r.Code != 1 || !strings.Contains(r.Stderr, "OVER BUDGET") {
		t.Fatalf("over budget: code %d, stderr %q", r.Code, r.Stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "tinit-amd64")); err == nil {
		t.Errorf("a binary over budget was left in the output directory")
	}
}

// The script's own ELF check (plain od, no binutils) tells static from
// dynamic and stripped from not, on real binaries.
func TestBuildCheckRejects(t *testing.T) {
	script := filepath.Join(repoRoot, "scripts", "build-static.sh")
	dir := t.TempDir()
	build := func(name string, args ...string) string {
		out := filepath.Join(dir, name)
		cmd := exec.Command("go", append(append([]string{"build", "-trimpath"}, args...), "-o", out, "./cmd/tinit")...)
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %v: %v\n%s", args, err, b)
		}
		return out
	}
	sh, err := filepath.EvalSymlinks("/bin/sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, file, want string }{
		{"dynamic", sh, "NOT STATIC: it has a program interpreter (PT_INTERP)"},
		{"dynamic-segment", patchELF(t, dir, "progtype", 2), "NOT STATIC: it has a dynamic segment (PT_DYNAMIC)"},
		{"dynamic-section", patchELF(t, dir, "sectype", 6), "NOT STATIC: it has a dynamic section (SHT_DYNAMIC)"},
		{"unstripped", build("unstripped"), "NOT STRIPPED: it has a symbol table (SHT_SYMTAB)"},
		{"not-elf", filepath.Join(repoRoot, "go.mod"), "not an ELF file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, 30*time.Second, "bash", script, "--check", c.file)
			if r.Code != 1 || r.Stderr != "build-static: "+c.file+": "+c.want+"\n" {
				t.Fatalf("--check %s: code %d, stderr %q, want %q", c.file, r.Code, r.Stderr, c.want)
			}
		})
	}
	t.Run("static", func(t *testing.T) {
		files := []string{tinitBin}
		if p, err := exec.LookPath("tini-static"); err == nil {
			files = append(files, p)
		}
		r := run(t, 30*time.Second, append([]string{"bash", script, "--check"}, files...)...)
		if r.Code != 0 || r.Stderr != "" || strings.Count(r.Stdout, " bytes") != len(files) {
			t.Fatalf("--check %v: code %d\nstdout: %s\nstderr: %s", files, r.Code, r.Stdout, r.Stderr)
		}
	})
}

// patchELF copies tinitBin into dir with the type of its last program
// header (what "progtype") or section header ("sectype") set to typ: the
// kinds of static-pie or dynamic binary a broken build could make, without
// needing a C toolchain to make one.
func patchELF(t *testing.T, dir, what string, typ uint32) string {
	t.Helper()
	b, err := os.ReadFile(tinitBin)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 64 || elf.Class(b[elf.EI_CLASS]) != elf.ELFCLASS64 || elf.Data(b[elf.EI_DATA]) != elf.ELFDATA2LSB {
		t.Skip("the patched-ELF cases only know 64-bit little-endian hosts")
	}
	le := binary.LittleEndian
	var at int
	switch what {
	case "progtype":
		phoff, size, n := le.Uint64(b[0x20:]), le.Uint16(b[0x36:]), le.Uint16(b[0x38:])
		at = int(phoff) + int(n-1)*int(size)
	case "sectype":
		shoff, size, n := le.Uint64(b[0x28:]), le.Uint16(b[0x3a:]), le.Uint16(b[0x3c:])
		at = int(shoff) + int(n-1)*int(size) + 4
	}
	le.PutUint32(b[at:], typ)
	out := filepath.Join(dir, what)
	if err := os.WriteFile(out, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}
