#!/usr/bin/env bash
# Builds tinit as static, stripped, reproducible binaries, one per Debian
# architecture, so the same file can be bind-mounted read-only into any
# rootfs. Every output is checked: an ELF of the expected machine with no
# interpreter, no dynamic section and no symbol table; the amd64 binary must
# also fit the size budget.
set -euo pipefail

all_arches=(amd64 arm64 armel armhf i386 ppc64el s390x riscv64 mips64el loong64)
# The one place tinit's link flags live: the integration tests and the
# benchmarks build through this script, so they run what is shipped.
base_ldflags='-s -w -buildid= -X=runtime.godebugDefault=asyncpreemptoff=1'
budget=3145728 # 3.0 MiB

usage() {
	cat <<'EOF'
Usage: scripts/build-static.sh [OPTIONS]
       scripts/build-static.sh --check FILE...

Builds CGO-free, statically linked, stripped tinit binaries named by Debian
architecture (OUT/tinit-amd64, ...) and writes OUT/SHA256SUMS for them.
Two builds of the same commit with the same Go release give identical bytes.

Options:
  -a, --arch LIST      architectures to build, comma- or space-separated,
                       repeatable (default: all): amd64 arm64 armel armhf
                       i386 ppc64el s390x riscv64 mips64el loong64
  -o, --out-dir DIR    where the binaries go (default: dist in the source tree)
      --main PKG       the main package to build (default ./cmd/tinit); the
                       binaries are named after its last element
      --budget BYTES   size limit for the amd64 binary (default 3145728)
      --check FILE...  only check existing binaries: static, stripped, and
                       an x86-64 one within the budget
  -h, --help           this text

Environment:
  TINIT_VERSION, TINIT_COMMIT  what `tinit --version` reports; by default
      `git describe --tags --always` (plus -dirty for uncommitted changes to
      tracked files) and `git rev-parse HEAD`, or dev and unknown outside git.
  SOURCE_DATE_EPOCH  the binaries' contents never depend on the clock; if
      set, the files' modification times are set to it.

Exits non-zero, naming the file, if any build fails or any binary is not
static, not stripped, of the wrong machine, or (amd64) over the budget.
EOF
}

die() {
	echo "build-static: $*" >&2
	exit 1
}

# goenv ARCH prints the Go target for a Debian architecture.
goenv() {
	case $1 in
	amd64) echo "GOARCH=amd64" ;;
	arm64) echo "GOARCH=arm64" ;;
	armel) echo "GOARCH=arm GOARM=5" ;;
	armhf) echo "GOARCH=arm GOARM=7" ;;
	i386) echo "GOARCH=386" ;;
	ppc64el) echo "GOARCH=ppc64le" ;;
	s390x) echo "GOARCH=s390x" ;;
	riscv64) echo "GOARCH=riscv64" ;;
	mips64el) echo "GOARCH=mips64le" ;;
	loong64) echo "GOARCH=loong64" ;;
	*) return 1 ;;
	esac
}

# elfid ARCH prints the ELF class, byte order and e_machine it must have.
elfid() {
	case $1 in
	amd64) echo "2 1 62" ;;
	arm64) echo "2 1 183" ;;
	armel | armhf) echo "1 1 40" ;;
	i386) echo "1 1 3" ;;
	ppc64el) echo "2 1 21" ;;
	s390x) echo "2 2 22" ;;
	riscv64) echo "2 1 243" ;;
	mips64el) echo "2 1 8" ;;
	loong64) echo "2 1 258" ;;
	esac
}

# readbytes FILE OFFSET COUNT prints the bytes as unsigned decimals.
readbytes() {
	od -An -v -t u1 -j "$2" -N "$3" -- "$1"
}

# num ARRAY OFFSET SIZE decodes an unsigned integer from an array of bytes
# in the ELF file's byte order ($order: 1 little, 2 big endian).
num() {
	local -n _b=$1
	local off=$2 size=$3 v=0 i
	if [ "$order" = 1 ]; then
		for ((i = size - 1; i >= 0; i--)); do v=$((v * 256 + _b[off + i])); done
	else
		for ((i = 0; i < size; i++)); do v=$((v * 256 + _b[off + i])); done
	fi
	echo "$v"
}

# checkelf FILE [ARCH] fails unless FILE is a static, stripped ELF (of ARCH's
# machine when given). Plain od, so it needs neither binutils nor Go; it
# prints "class order machine size" on success.
checkelf() {
	local f=$1 arch=${2:-} class order machine
	local -a h p s
	[ -f "$f" ] || die "$f: no such file"
	h=($(readbytes "$f" 0 64))
	[ "${#h[@]}" = 64 ] && [ "${h[*]:0:4}" = "127 69 76 70" ] || die "$f: not an ELF file"
	class=${h[4]} order=${h[5]}
	machine=$(num h 18 2)
	if [ -n "$arch" ] && [ "$class $order $machine" != "$(elfid "$arch")" ]; then
		die "$f: ELF class/byte order/machine $class $order $machine, want $(elfid "$arch") for $arch"
	fi
	local phoff phentsize phnum shoff shentsize shnum
	if [ "$class" = 2 ]; then
		phoff=$(num h 32 8) shoff=$(num h 40 8)
		phentsize=$(num h 54 2) phnum=$(num h 56 2) shentsize=$(num h 58 2) shnum=$(num h 60 2)
	else
		phoff=$(num h 28 4) shoff=$(num h 32 4)
		phentsize=$(num h 42 2) phnum=$(num h 44 2) shentsize=$(num h 46 2) shnum=$(num h 48 2)
	fi
	local i t
	if ((phnum > 0)); then
		p=($(readbytes "$f" "$phoff" $((phnum * phentsize))))
		for ((i = 0; i < phnum; i++)); do
			t=$(num p $((i * phentsize)) 4)
			[ "$t" = 3 ] && die "$f: NOT STATIC: it has a program interpreter (PT_INTERP)"
			[ "$t" = 2 ] && die "$f: NOT STATIC: it has a dynamic segment (PT_DYNAMIC)"
		done
	fi
	if ((shnum > 0)); then
		s=($(readbytes "$f" "$shoff" $((shnum * shentsize))))
		for ((i = 0; i < shnum; i++)); do
			t=$(num s $((i * shentsize + 4)) 4)
			[ "$t" = 6 ] && die "$f: NOT STATIC: it has a dynamic section (SHT_DYNAMIC)"
			[ "$t" = 2 ] && die "$f: NOT STRIPPED: it has a symbol table (SHT_SYMTAB)"
		done
	fi
	local size
	size=$(stat -c %s -- "$f")
	if [ "$class $order $machine" = "2 1 62" ] && ((size > budget)); then
		die "$f: OVER BUDGET: $size bytes, the amd64 budget is $budget"
	fi
	echo "$class $order $machine $size"
}

report() { # report NAME SIZE
	printf '%-18s %9d bytes %6d.%d KiB\n' "$1" "$2" $(($2 / 1024)) $(($2 % 1024 * 10 / 1024))
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$root/dist
want=()
check=0
main=./cmd/tinit
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) usage; exit 0 ;;
	-a | --arch) [ $# -ge 2 ] || die "$1 needs a value"; want+=(${2//,/ }); shift 2 ;;
	--arch=*) v=${1#*=}; want+=(${v//,/ }); shift ;;
	-o | --out-dir) [ $# -ge 2 ] || die "$1 needs a value"; out=$2; shift 2 ;;
	--out-dir=*) out=${1#*=}; shift ;;
	--main) [ $# -ge 2 ] || die "$1 needs a value"; main=$2; shift 2 ;;
	--main=*) main=${1#*=}; shift ;;
	--budget) [ $# -ge 2 ] || die "$1 needs a value"; budget=$2; shift 2 ;;
	--budget=*) budget=${1#*=}; shift ;;
	--check) check=1; shift; break ;;
	*) die "unknown argument: $1 (see --help)" ;;
	esac
done
[[ $budget =~ ^[0-9]+$ ]] || die "--budget wants a number of bytes, not $budget"

if [ "$check" = 1 ]; then
	[ $# -gt 0 ] || die "--check needs at least one FILE"
	for f in "$@"; do
		r=$(checkelf "$f") || exit 1
		report "$f" "${r##* }"
	done
	exit 0
fi

if [ ${#want[@]} -eq 0 ] || [[ " ${want[*]} " == *" all "* ]]; then
	want=("${all_arches[@]}")
fi
for a in "${want[@]}"; do
	goenv "$a" >/dev/null || die "unknown architecture: $a (known: ${all_arches[*]})"
done
# Build in the canonical order, each architecture once.
arches=()
for a in "${all_arches[@]}"; do
	[[ " ${want[*]} " == *" $a "* ]] && arches+=("$a")
done

command -v go >/dev/null || die "go is not on PATH"
name=$(basename "$main")
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$root"
if [ -n "${TINIT_VERSION:-}" ]; then
	version=$TINIT_VERSION
elif git rev-parse --git-dir >/dev/null 2>&1; then
	version=$(git describe --tags --always --abbrev=12)
	# Not `describe --dirty`: that rewrites the index, and a build must not
	# touch the repository.
	if [ -n "$(git --no-optional-locks status --porcelain --untracked-files=no)" ]; then
		version+=-dirty
	fi
else
	version=dev
fi
if [ -n "${TINIT_COMMIT:-}" ]; then
	commit=$TINIT_COMMIT
else
	commit=$(git rev-parse HEAD 2>/dev/null) || commit=unknown
fi
for v in "$version" "$commit"; do
	[[ $v =~ ^[A-Za-z0-9._+~-]+$ ]] || die "version and commit may only use A-Z a-z 0-9 . _ + ~ -, not: $v"
done
ldflags="$base_ldflags -X=main.version=$version -X=main.commit=$commit"

tmp=$(mktemp -d "$out/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "tinit $version (commit $commit) with $(go version)"
# Every setting that changes the code is pinned here, to the defaults the
# test harness builds with, so neither the caller's environment nor a
# `go env -w` can make two builds of one commit differ.
pids=()
for a in "${arches[@]}"; do
	# shellcheck disable=SC2046 # goenv's words are separate assignments
	env CGO_ENABLED=0 GOOS=linux GOFLAGS= GOEXPERIMENT= GOAMD64=v1 GO386=sse2 \
		GOARM64=v8.0 GOPPC64=power8 GORISCV64=rva20u64 GOMIPS64=hardfloat \
		$(goenv "$a") \
		go build -trimpath -buildvcs=false -ldflags="$ldflags" \
		-o "$tmp/$name-$a" "$main" >"$tmp/$a.log" 2>&1 &
	pids+=($!)
done
failed=()
for i in "${!arches[@]}"; do
	wait "${pids[$i]}" || failed+=("${arches[$i]}")
done
for a in "${failed[@]}"; do
	echo "build-static: building $a failed:" >&2
	cat "$tmp/$a.log" >&2
done
[ ${#failed[@]} -eq 0 ] || die "FAILED: ${failed[*]}"

for a in "${arches[@]}"; do
	r=$(checkelf "$tmp/$name-$a" "$a") || exit 1
	report "$name-$a" "${r##* }"
done
for a in "${arches[@]}"; do
	mv -f "$tmp/$name-$a" "$out/$name-$a"
done
(cd "$out" && sha256sum "${arches[@]/#/$name-}") >"$tmp/SHA256SUMS"
mv -f "$tmp/SHA256SUMS" "$out/SHA256SUMS"
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
	touch -h -d "@$SOURCE_DATE_EPOCH" "${arches[@]/#/$out/$name-}" "$out/SHA256SUMS"
fi
echo "wrote ${#arches[@]} binaries and SHA256SUMS to $out"
