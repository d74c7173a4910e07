#!/usr/bin/env bash
# Builds and checks the Debian package as Debian's own tools would: in clean
# chroots of each suite made by mmdebstrap (buildd variant plus only the
# build dependencies debian/control names), without network, with the
# suite's Go and packaged libraries and its unit tests (dh_auto_test); then
# sid's lintian on the .dsc and the .debs, mandoc -Tlint on the installed
# man pages, and the installed /usr/bin/tinit in a trixie minbase testbed
# running the early/late example as pid 1, and the package's own autopkgtest
# (debian/tests) with the null backend, which installs it on this machine,
# and with the unshare backend and the fresh tinit as the testbed's init.
set -euo pipefail
# A failure inside $(...) must stop the script too.
shopt -s inherit_errexit

usage() {
	cat <<'USAGE'
Usage: scripts/deb-check.sh [OPTIONS]

Options:
  -s, --suite LIST   suites to build in, comma- or space-separated
                     (default: trixie sid); lintian runs in the last one
  -o, --out-dir DIR  where the .dsc, .debs and logs go (default: a new
                     directory under /tmp, printed at the end)
      --twice        build in the last suite a second time, in another
                     directory, and compare the two sets of .debs byte for
                     byte (reproducibility)
  -h, --help         this text

Environment:
  TINIT_TEST_CACHE  where the chroot and testbed tarballs are cached
                    (default /var/tmp/tinit-test-cache, shared with the
                    integration tests). A build chroot is remade when
                    debian/control's build dependencies change or when it
                    is older than a week.

Needs root, mmdebstrap, debian-archive-keyring, mandoc and a Debian mirror
the host's apt can reach. Exits non-zero naming the step that failed.
USAGE
}

die() {
	echo "deb-check: $*" >&2
	exit 1
}

step() { printf '\n=== deb-check: %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }

# timed NAME CMD... runs CMD and records how long it took.
timings=()
timed() {
	local name=$1 start=$SECONDS
	shift
	"$@"
	timings+=("$(printf '%-40s %4ds' "$name" $((SECONDS - start)))")
}

suites=(trixie sid)
out=
twice=0
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) usage; exit 0 ;;
	-s | --suite) [ $# -ge 2 ] || die "$1 needs a value"; suites=(${2//,/ }); shift 2 ;;
	--suite=*) v=${1#*=}; suites=(${v//,/ }); shift ;;
	-o | --out-dir) [ $# -ge 2 ] || die "$1 needs a value"; out=$2; shift 2 ;;
	--out-dir=*) out=${1#*=}; shift ;;
	--twice) twice=1; shift ;;
	*) die "unknown argument: $1 (see --help)" ;;
	esac
done
[ ${#suites[@]} -gt 0 ] || die "no suite given"
[ "$(id -u)" = 0 ] || die "needs root (chroots, unshare, mmdebstrap)"
for tool in mmdebstrap mandoc unshare chroot dpkg-deb dpkg-parsechangelog; do
	command -v "$tool" >/dev/null || die "$tool is not installed"
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${TINIT_TEST_CACHE:-/var/tmp/tinit-test-cache}
mkdir -p "$cache"
if [ -z "$out" ]; then
	out=$(mktemp -d /tmp/tinit-deb.XXXXXX)
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d /var/tmp/tinit-deb-work.XXXXXX)
trap 'rm -rf "$work"' EXIT

cd "$root"
version=$(dpkg-parsechangelog -S Version)
upstream=${version%-*}
source=$(dpkg-parsechangelog -S Source)
arch=$(dpkg --print-architecture)
# The Build-Depends field of the source stanza, as the chroot's key.
build_deps=$(awk '/^Build-Depends:/ { on = 1; print; next } on && /^[ \t]/ { print; next } { on = 0 }' debian/control)

# inroot ROOT [--net] CMD... runs CMD chrooted in ROOT, in new mount and pid
# namespaces with its own /proc and the host's /dev; without --net also in
# a new network namespace with no network, as buildds build.
inroot() {
	local r=$1 net=--net
	shift
	if [ "${1:-}" = --net ]; then
		net=
		shift
	fi
	# shellcheck disable=SC2086 # $net is one flag or nothing
	unshare --mount --pid --fork --kill-child $net -- bash -c '
		r=$1; shift
		mount -t proc proc "$r/proc"
		mount --rbind /dev "$r/dev"
		exec chroot "$r" "$@"' _ "$r" "$@"
}

# buildroot SUITE prints the cached build chroot tarball of SUITE, making
# it first when debian/control's build dependencies changed or it is over
# a week old. The last suite also gets lintian.
buildroot() {
	local suite=$1 extra=() opts=() key tar
	if [ "$suite" = "${suites[-1]}" ]; then
		extra=(--include=lintian)
	fi
	if [ "$suite" = sid ]; then
		# sid's Release file is valid for a week only; a mirror serving a
		# snapshot serves an expired one.
		opts=(--aptopt='Acquire::Check-Valid-Until "false"')
	fi
	key=$(printf '%s\n' v1 "$suite" "${extra[*]}" "$build_deps" | sha256sum | cut -c1-12)
	tar=$cache/$suite-buildd-$source-$key.tar
	exec 9>"$cache/.deb-check.lock"
	flock 9
	if [ -f "$tar" ] && [ -z "$(find "$tar" -mtime +7)" ]; then
		exec 9>&-
		echo "$tar"
		return
	fi
	mkdir -p "$work/deps/debian"
	cp debian/control debian/changelog "$work/deps/debian/"
	mmdebstrap --quiet --variant=buildd "${opts[@]}" "${extra[@]}" \
		--customize-hook='mkdir -p "$1/tmp/deps"' \
		--customize-hook="sync-in $work/deps /tmp/deps" \
		--customize-hook='chroot "$1" apt-get build-dep -y -q --no-install-recommends /tmp/deps' \
		--customize-hook='rm -rf "$1/tmp/deps"' \
		"$suite" "$tar.partial.tar" >&2 || {
		rm -f "$tar.partial.tar"
		die "mmdebstrap of the $suite build chroot failed"
	}
	mv "$tar.partial.tar" "$tar"
	# Chroots made for older build dependencies are of no more use.
	for old in "$cache/$suite-buildd-$source-"*.tar; do
		[ "$old" = "$tar" ] || rm -f "$old"
	done
	exec 9>&-
	echo "$tar"
}

# The upstream tarball from the working tree (tracked and new files, not
# ignored ones), without debian/, with fixed owners, order and times.
make_orig() {
	local src=$work/src/$source-$upstream epoch
	epoch=$(dpkg-parsechangelog -S Timestamp)
	mkdir -p "$src"
	git ls-files -z --cached --others --exclude-standard |
		grep -zv '^debian/' | while IFS= read -r -d '' f; do
		[ -e "$f" ] && printf '%s\0' "$f"
	done | tar --null -T - -cf - | tar -C "$src" -xf -
	tar -C "$work/src" --sort=name --owner=0 --group=0 --numeric-owner \
		--mtime="@$epoch" --clamp-mtime -cf - "$source-$upstream" |
		xz -T1 -6 >"$work/src/${source}_$upstream.orig.tar.xz"
	cp -r debian "$src/debian"
}

# build SUITE NAME [FULL [DIR]] builds in DIR (default /build) of a fresh
# copy of SUITE's chroot, as an unprivileged user; FULL=1 also builds the
# source package. Results go to $out/NAME.
build() {
	local suite=$1 name=$2 full=${3:-0} dir=${4:-/build} tar r args=(-us -uc -b)
	tar=$(buildroot "$suite")
	r=$work/root-$name
	mkdir -p "$r"
	tar -C "$r" -xf "$tar"
	mkdir -p "$r$dir"
	cp -r "$work/src/." "$r$dir/"
	chown -R 65534:65534 "$r$dir"
	[ "$full" = 1 ] && args=(-us -uc)
	mkdir -p "$out/$name"
	if ! inroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/nonexistent LC_ALL=C.UTF-8 DEB_BUILD_OPTIONS=parallel=2 \
		setpriv --reuid=65534 --regid=65534 --clear-groups \
		sh -c "cd $dir/$source-$upstream && dpkg-buildpackage ${args[*]}" \
		>"$out/$name/build.log" 2>&1; then
		tail -50 "$out/$name/build.log" >&2
		die "the build in $suite failed; log: $out/$name/build.log"
	fi
	find "$r$dir" -maxdepth 1 -type f -exec cp -t "$out/$name" {} +
	grep -E '^dpkg-deb: building|^ok  |^--- FAIL' "$out/$name/build.log" || true
	if [ "$suite" = "${suites[-1]}" ]; then
		lintroot=$r
	else
		rm -rf "$r"
	fi
}

lint() {
	local name=$1
	# Everything, pedantic and experimental tags too, and the overrides:
	# only errors and warnings fail, the rest must carry an override.
	if ! inroot "$lintroot" setpriv --reuid=65534 --regid=65534 --clear-groups \
		env HOME=/nonexistent LC_ALL=C.UTF-8 \
		lintian --info --display-info --pedantic --display-experimental \
		--show-overrides --fail-on error,warning \
		"/build/${source}_${version}_$arch.changes" >"$out/$name/lintian.log" 2>&1; then
		cat "$out/$name/lintian.log" >&2
		die "lintian found errors or warnings"
	fi
	cat "$out/$name/lintian.log"
	if grep -v '^[ON]:' "$out/$name/lintian.log" | grep -q '^[A-Z]:'; then
		grep -v '^[ON]:' "$out/$name/lintian.log" >&2
		die "lintian tags without an override"
	fi
}

manlint() {
	local deb=$1 x=$work/x-man
	rm -rf "$x"
	dpkg-deb -x "$deb" "$x"
	local gz pages=()
	for gz in "$x"/usr/share/man/man1/*.1.gz; do
		[ -f "$gz" ] || die "no man pages in $deb"
		zcat "$gz" >"${gz%.gz}"
		pages+=("${gz%.gz}")
	done
	mandoc -Tlint -W warning "${pages[@]}" || die "mandoc -Tlint: the man pages need fixing"
	echo "mandoc -Tlint: ${pages[*]##*/}: nothing to report"
}

# testbed DEB installs DEB into a trixie minbase testbed (the integration
# tests' cached tarball) and runs the early/late example as pid 1.
testbed() {
	local deb=$1 tar=$cache/trixie-minbase-v1.tar r=$work/testbed got code
	(
		flock 9
		if [ ! -f "$tar" ]; then
			mmdebstrap --quiet --variant=minbase --skip=cleanup/apt/lists \
				trixie "$tar.partial.tar" && mv "$tar.partial.tar" "$tar"
		fi
	) 9>"$cache/.lock"
	mkdir -p "$r"
	tar -C "$r" -xf "$tar"
	cp "$deb" "$r/tmp/"
	inroot "$r" dpkg -i "/tmp/$(basename "$deb")" >/dev/null
	set +e
	got=$(inroot "$r" /usr/bin/tinit -- sh -c '(sleep 1; echo late) & echo early; exit 3')
	code=$?
	set -e
	[ "$got" = $'early\nlate' ] && [ "$code" = 3 ] ||
		die "the installed tinit printed $(printf %q "$got") and exited $code; want early, late and 3"
	echo "installed /usr/bin/tinit as pid 1: early, late, exit status 3"
}

step "the source tree, $source $version"
timed "upstream tarball" make_orig
for suite in "${suites[@]}"; do
	full=0
	[ "$suite" = "${suites[-1]}" ] && full=1
	step "building in a clean $suite chroot"
	timed "$suite: chroot and build" build "$suite" "$suite" "$full"
done
last=${suites[-1]}
if [ "$twice" = 1 ]; then
	step "building in $last again, for reproducibility"
	keep=$lintroot
	# Elsewhere, as reproducible-builds.org varies the build path.
	timed "$last: second build" build "$last" "$last-again" 0 /srv/elsewhere/build
	rm -rf "$lintroot"
	lintroot=$keep
	for f in "$out/$last"/*.deb; do
		cmp "$f" "$out/$last-again/$(basename "$f")" ||
			die "$(basename "$f") differs between two builds"
	done
	echo "two builds in $last gave identical .debs"
fi
step "lintian ($last's)"
timed "lintian" lint "$last"
deb=$out/$last/${source}_${version}_$arch.deb
step "mandoc -Tlint on the installed man pages"
timed "mandoc" manlint "$deb"
step "the installed package in a trixie testbed"
timed "testbed" testbed "$deb"
step "the .deb's contents and its autopkgtest, null and unshare backends (TestDeb*)"
if command -v go >/dev/null && command -v autopkgtest >/dev/null; then
	timed "autopkgtest" env TINIT_DEB="$deb" \
		go test -count=1 -run '^TestDeb' ./test/integration
elif [ "${TINIT_REQUIRE_TOOLS:-}" = 1 ]; then
	die "go or autopkgtest is missing (TINIT_REQUIRE_TOOLS=1: nothing may be skipped)"
else
	echo "skipped: go or autopkgtest is not installed"
fi
rm -rf "$lintroot"
step "done: results in $out"
printf '%s\n' "${timings[@]}"
