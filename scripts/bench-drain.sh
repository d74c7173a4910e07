#!/usr/bin/env bash
# Throughput of tinit's output draining, side by side with the same work done
# without tinit: forwarding into a pipe reader against a direct pipe, and
# --stdout-file against coreutils `tee -a`.
#
#   scripts/bench-drain.sh [SIZE] [RUNS]    SIZE as head -c takes it (default 4G)
#
# TINIT=path uses that binary instead of building one. Targets: forwarding
# at least 0.85x the direct pipe; the copy file at least as fast as tee;
# forwarding no slower than before against scripts/splice-relay.c, a C relay
# that does only splice(2) (built with cc when one is installed).
set -euo pipefail
size=${1:-4G}
runs=${2:-5}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tinit=${TINIT:-}
if [ -z "$tinit" ]; then
	# What is measured is what ships: the release build for this machine.
	arch=$(dpkg --print-architecture)
	bash scripts/build-static.sh --arch "$arch" --out-dir "$work" >/dev/null
	tinit=$work/tinit-$arch
fi
copy=$work/copy
bytes=$(head -c "$size" /dev/zero | wc -c)

# The last pair copies while forwarding into a pipe, as under a CI runner
# that reads tinit's output: there tinit uses tee(2) and splice(2).
# cat-relay is the floor for any process that relays a pipe: on few cores
# the third process in the chain, not the copying, sets the pace.
names=(direct-pipe tinit-pipe tee-a tinit-stdout-file tee-a-pipe tinit-file-pipe cat-relay splice-relay)
relay=true
if command -v cc >/dev/null && cc -O2 -static -o "$work/splice-relay" scripts/splice-relay.c 2>/dev/null; then
	relay=$work/splice-relay
fi
cmds=(
	"head -c $size /dev/zero | cat >/dev/null"
	"$tinit -- head -c $size /dev/zero | cat >/dev/null"
	"head -c $size /dev/zero | tee -a $copy >/dev/null"
	"$tinit --stdout-file $copy -- head -c $size /dev/zero >/dev/null"
	"head -c $size /dev/zero | tee -a $copy | cat >/dev/null"
	"$tinit --stdout-file $copy -- head -c $size /dev/zero | cat >/dev/null"
	"head -c $size /dev/zero | cat | cat >/dev/null"
	"head -c $size /dev/zero | $relay | cat >/dev/null"
)
# Rounds: each round times every case once, so drift on a shared machine
# (another tenant, writeback of the last copy file) spreads over all cases
# instead of landing on one; each case's figure is its median over rounds.
declare -A all
for ((r = 0; r <= runs; r++)); do
	for i in "${!cmds[@]}"; do
		rm -f "$copy"
		sync
		t0=$EPOCHREALTIME
		bash -c "${cmds[$i]}" >/dev/null 2>&1
		t1=$EPOCHREALTIME
		# round 0 warms the caches and is not counted
		((r > 0)) && all[$i]+="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }') "
	done
done
declare -A secs
for i in "${!cmds[@]}"; do
	secs[$i]=$(printf '%s\n' ${all[$i]} | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
done
how="median of $runs rounds after a warm-up round, cases interleaved"
rm -f "$copy"

printf 'tinit drain benchmark: %s bytes (%s), %s cores, %s\n' "$bytes" "$size" "$(nproc)" "$how"
printf '%-18s %10s %10s\n' case seconds 'MiB/s'
for i in "${!names[@]}"; do
	[ "${names[$i]}" = splice-relay ] && [ "$relay" = true ] && continue
	awk -v n="${names[$i]}" -v s="${secs[$i]}" -v b="$bytes" \
		'BEGIN { printf "%-18s %10.3f %10.0f\n", n, s, b / s / 1048576 }'
done
awk -v d="${secs[0]}" -v t="${secs[1]}" -v tee="${secs[2]}" -v f="${secs[3]}" \
	-v teep="${secs[4]}" -v fp="${secs[5]}" -v relay="${secs[6]}" -v splice="${secs[7]}" -v have="$relay" 'BEGIN {
	printf "forwarding:           %.2fx the direct pipe (target >= 0.85x)\n", d / t
	printf "forwarding:           %.2fx a cat relay (the floor for any relay)\n", relay / t
	if (have != "true")
		printf "forwarding:           %.2fx the C splice relay (no regression)\n", splice / t
	printf "copy file:            %.2fx tee -a (target >= 1.00x)\n", tee / f
	printf "copy file into pipe:  %.2fx tee -a | cat (target >= 1.00x)\n", teep / fp
}'
