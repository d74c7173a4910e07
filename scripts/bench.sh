#!/usr/bin/env bash
# tinit side by side with tini-static, catatonit, dumb-init and no init, in
# one run, each figure also as a ratio to tini-static measured in the same
# run. Prints a Markdown report: the date, the machine, and one table per
# benchmark.
#
#   scripts/bench.sh [--quick]
#
# 1. start-up: `INIT -- /bin/true`, hyperfine runs (300; --quick 20) in
#    interleaved rounds (5; --quick 2), the median of the rounds' medians
# 2. reap storm: as pid 1 of a new pid namespace, a child leaves N orphans
#    that exit at once (10,000; --quick 1,000); time from their release to
#    the init's exit, and the most zombies seen at once (medians of 7 runs; --quick 3)
# 3. footprint: the most tasks in /proc/PID/task and the resident memory of
#    each init and the Go floor while the child runs, during the grace (the
#    child has left a holder that ignores SIGTERM) and while ending N leaked
#    holders (2,000; --quick 200)
# 4. output: scripts/bench-drain.sh for throughput (against a C splice
#    relay too); tinit's peak RSS (VmHWM) while forwarding 1 GiB (--quick
#    64 MiB) and while ending the leaked holders; the delay from the last
#    holder closing its pipe to tinit's exit, as its parent sees it, less the
#    same measure without an init (median of 21 runs; --quick 5); the
#    write-to-arrival latency of lines (BenchmarkDrainLatency, 2,000 lines;
#    --quick 300)
# 5. sizes of the stripped binaries, every Debian architecture
#
# Needs root or unprivileged user namespaces, hyperfine, tini (tini-static),
# catatonit and dumb-init; a C compiler for the splice relay. TINIT=path
# benchmarks that binary instead of a fresh build; BEFORE=path measures an
# earlier tinit beside it in the same run (start-up, tasks, memory), for
# before-and-after figures. Targets (issues 1 and 23):
# tasks at most 6 in every phase; idle RSS at most 1.3x the Go floor's;
# peak RSS at most 3 MiB forwarding 1 GiB and at most 10,756 KiB ending
# 2,000 holders; start-up within 1.5x of the Go floor (and, the first
# target, 1.15x of tini-static); reap storm no slower than tini-static;
# exit delay under 1 ms median; every stripped binary within 3 MiB. The
# machine's load average is printed at the start and the end: other work
# skews the absolute figures, so read the ratios, which come from one run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

quick=0
case "${1:-}" in
--quick) quick=1 ;;
"") ;;
-h | --help)
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit 0
	;;
*)
	echo "bench.sh: unknown option $1 (see --help)" >&2
	exit 2
	;;
esac
if [ "$quick" = 1 ]; then
	startup_runs=20 orphans=1000 storm_runs=3 fwd_size=64M leaks=200 delay_runs=5 lat_lines=300
else
	startup_runs=300 orphans=10000 storm_runs=7 fwd_size=1G leaks=2000 delay_runs=21 lat_lines=2000
fi

for tool in hyperfine tini-static catatonit dumb-init unshare go; do
	command -v "$tool" >/dev/null || {
		echo "bench.sh: $tool is not installed" >&2
		exit 1
	}
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tinit=${TINIT:-}
arch=$(dpkg --print-architecture)
if [ -z "$tinit" ]; then
	# What is measured is what ships: the release build for this machine.
	bash scripts/build-static.sh --arch "$arch" --out-dir "$work" >/dev/null
	tinit=$work/tinit-$arch
fi
before=${BEFORE:-}
helper=$work/hostile
CGO_ENABLED=0 go build -o "$helper" ./test/integration/testdata/hostile
# Built by the same script, so it pays exactly tinit's link flags.
bash scripts/build-static.sh --arch "$arch" --main ./scripts/gofloor --out-dir "$work" >/dev/null
gofloor=$work/gofloor-$arch

ns=(unshare --pid --fork --mount-proc)
if [ "$(id -u)" != 0 ]; then
	ns=(unshare --user --map-root-user --pid --fork --mount-proc)
fi

# median reads numbers, one a line, and prints the middle one.
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
# ratio prints a/b with two decimals, or - when b is zero or missing.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0 || a == "") print "-"; else printf "%.2f", a / b }'; }
# usecs is bash's clock in microseconds, without forking.
usecs() { local t=$EPOCHREALTIME; echo "${t/./}"; }

echo "# tinit benchmarks"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores, Linux $(uname -r), $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)$([ "$quick" = 1 ] && echo ' (--quick)')"
echo
echo "Load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# 1. start-up
# gofloor only forks, execs and waits: the floor for any init in Go.
# gofloor -signals also catches the 58 signals tinit does: what any init in
# Go that forwards every signal pays through os/signal.
names=(tinit tini-static catatonit dumb-init "Go floor (scripts/gofloor)" "no init" "Go floor with tinit's 58 signal handlers (gofloor -signals)")
cmds=("$tinit -- /bin/true" "tini-static -s -- /bin/true" "catatonit -- /bin/true" "dumb-init /bin/true" "$gofloor /bin/true" "/bin/true" "$gofloor -signals /bin/true")
if [ -n "$before" ]; then
	names+=("tinit before (BEFORE)")
	cmds+=("$before -- /bin/true")
fi
# Rounds of hyperfine, each timing every init in turn, so that a burst of
# load from other work lands on all of them instead of one; each figure is
# the median of its rounds' medians.
rounds=5
[ "$quick" = 1 ] && rounds=2
declare -A start
for ((r = 0; r < rounds; r++)); do
	for i in "${!cmds[@]}"; do
		hyperfine -N --style none --warmup 3 --runs $((startup_runs / rounds)) --export-csv "$work/start$i.csv" "${cmds[$i]}" >/dev/null 2>&1
		# command,mean,stddev,median,...: seconds
		awk -F, 'NR == 2 { printf "%.0f\n", $4 * 1e6 }' "$work/start$i.csv" >>"$work/start$i.txt"
	done
done
for i in "${!cmds[@]}"; do
	start[$i]=$(median <"$work/start$i.txt")
done
echo "## Start-up: \`INIT -- /bin/true\`, $startup_runs runs in $rounds interleaved rounds, median of the rounds' medians"
echo
echo "| init | median (µs) | ratio to tini-static | ratio to the Go floor |"
echo "|---|---:|---:|---:|"
for i in "${!cmds[@]}"; do
	echo "| ${names[$i]} | ${start[$i]} | $(ratio "${start[$i]}" "${start[1]}") | $(ratio "${start[$i]}" "${start[4]}") |"
done
echo

# 2. reap storm, each init as pid 1 of a new pid namespace
storm() { # INIT... -> "microseconds most-zombies"
	local out=$work/storm.out before pid zpid
	HOSTILE_MODE=storm HOSTILE_N=$orphans "${ns[@]}" "$@" -- "$helper" >"$out" &
	pid=$!
	# unshare forks the init: watch that child's children.
	for _ in $(seq 1000); do
		init=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null | awk '{ print $1 }')
		[ -n "$init" ] && break
		sleep 0.01
	done
	HOSTILE_MODE=zombies HOSTILE_PID=$init "$helper" >"$work/zombies" &
	zpid=$!
	wait "$pid"
	local end
	end=$(usecs)
	wait "$zpid"
	echo "$((end - $(awk '{ print $2 }' "$out") / 1000)) $(cat "$work/zombies")"
}
declare -A storm_us storm_z
for who in tinit tini-static; do
	: >"$work/st-$who"
	for _ in $(seq "$storm_runs"); do
		if [ "$who" = tinit ]; then storm "$tinit"; else storm tini-static; fi >>"$work/st-$who"
	done
	storm_us[$who]=$(awk '{ print $1 }' "$work/st-$who" | median)
	storm_z[$who]=$(awk '{ print $2 }' "$work/st-$who" | median)
done
echo "## Reap storm: $orphans orphans exit at once, init as pid 1, median of $storm_runs runs"
echo
echo "| init | release to exit (ms) | most zombies seen | time ratio to tini-static |"
echo "|---|---:|---:|---:|"
for who in tinit tini-static; do
	echo "| $who | $((storm_us[$who] / 1000)) | ${storm_z[$who]} | $(ratio "${storm_us[$who]}" "${storm_us[tini-static]}") |"
done
echo

# 3. footprint
# watch PID prints, once PID is gone, the most tasks it had at once, its
# most resident memory (VmRSS, KiB), its peak (VmHWM, KiB) and its most
# anonymous memory (RssAnon, KiB). VmRSS counts every page of the binary the
# process has mapped, and the kernel maps the whole text of a cached binary
# around the first faults: that part follows the binary's size and is shared
# by every process running it; RssAnon is each process's own.
watch() {
	local t=0 r=0 h=0 a=0 n st
	# A zombie's status has no memory lines: it has ended.
	while st=$(cat "/proc/$1/status" 2>/dev/null) && [[ $st == *VmHWM:* ]]; do
		n=$(awk '/^Threads:/ { print $2 }' <<<"$st")
		((n > t)) && t=$n
		n=$(awk '/^VmRSS:/ { print $2 }' <<<"$st")
		((n > r)) && r=$n
		n=$(awk '/^RssAnon:/ { print $2 }' <<<"$st")
		((n > a)) && a=$n
		h=$(awk '/^VmHWM:/ { print $2 }' <<<"$st")
		sleep 0.005
	done
	echo "$t $r $h $a"
}
# init_of PID waits for unshare (PID) to fork the init and prints its pid.
init_of() {
	local init=
	for _ in $(seq 1000); do
		init=$(cat "/proc/$1/task/$1/children" 2>/dev/null | awk '{ print $1 }')
		[ -n "$init" ] && break
		sleep 0.01
	done
	echo "$init"
}
finit=("$tinit --" "tini-static -s --" "catatonit --" "$gofloor")
tinits=("$tinit")
[ -n "$before" ] && finit+=("$before --") && tinits+=("$before")
# is_tinit I tells whether finit[I] is a tinit, which takes --grace.
is_tinit() { [ "$1" = 0 ] || [ "$1" = 4 ]; }
tinit_of() { if [ "$1" = 0 ]; then echo "$tinit"; else echo "$before"; fi; }
# A holder that ignores SIGTERM: tinit waits out its grace, then kills it.
# The others do not wait for it; each runs as pid 1 of its own namespace,
# so the holders die with it.
# The others get their child to wait a second after leaving the holders,
# so that they are measured while the holders exist.
holder_sh='trap "" TERM; sleep 30 & exit 0'
linger='sleep 1'
declare -A ftask frss fanon
for i in "${!finit[@]}"; do
	# While the child runs: the init and one sleeping child, nothing else.
	${finit[$i]} /bin/sleep 1 &
	pid=$!
	read -r t r _ a < <(watch "$pid")
	wait "$pid" || true
	ftask[run$i]=$t frss[run$i]=$r fanon[run$i]=$a
	# During the grace (tinit --grace 1s; the others end at once).
	if is_tinit "$i"; then
		"${ns[@]}" "$(tinit_of "$i")" --grace 1s --kill-after 1s -- /bin/sh -c "$holder_sh" >/dev/null 2>&1 &
	else
		"${ns[@]}" ${finit[$i]} /bin/sh -c "${holder_sh/exit 0/$linger}" >/dev/null 2>&1 &
	fi
	pid=$!
	read -r t _ _ < <(watch "$(init_of "$pid")")
	wait "$pid" || true
	ftask[grace$i]=$t
	# While ending the leaked holders.
	if is_tinit "$i"; then
		HOSTILE_MODE=mass HOSTILE_N=$leaks "${ns[@]}" "$(tinit_of "$i")" --grace 100ms --kill-after 200ms -- "$helper" >/dev/null 2>&1 &
	else
		HOSTILE_MODE=mass HOSTILE_N=$leaks "${ns[@]}" ${finit[$i]} /bin/sh -c "$helper; $linger" >/dev/null 2>&1 &
	fi
	pid=$!
	read -r t _ _ < <(watch "$(init_of "$pid")")
	wait "$pid" || true
	ftask[mass$i]=$t
done
echo "## Footprint: tasks in /proc/PID/task (most at once) and resident memory"
echo
echo "| phase | tinit | tini-static | catatonit | Go floor | tinit / Go floor | target |"
echo "|---|---:|---:|---:|---:|---:|---|"
echo "| tasks while the child runs | ${ftask[run0]} | ${ftask[run1]} | ${ftask[run2]} | ${ftask[run3]} | $(ratio "${ftask[run0]}" "${ftask[run3]}") | at most 6 |"
echo "| tasks during the grace (a holder ignores SIGTERM) | ${ftask[grace0]} | ${ftask[grace1]} | ${ftask[grace2]} | ${ftask[grace3]} | $(ratio "${ftask[grace0]}" "${ftask[grace3]}") | at most 6 |"
echo "| tasks while ending $leaks leaked holders | ${ftask[mass0]} | ${ftask[mass1]} | ${ftask[mass2]} | ${ftask[mass3]} | $(ratio "${ftask[mass0]}" "${ftask[mass3]}") | at most 6 |"
echo "| RSS while the child runs (KiB) | ${frss[run0]} | ${frss[run1]} | ${frss[run2]} | ${frss[run3]} | $(ratio "${frss[run0]}" "${frss[run3]}") | at most 1.3x the Go floor |"
echo "| of which anonymous (RssAnon, KiB) | ${fanon[run0]} | ${fanon[run1]} | ${fanon[run2]} | ${fanon[run3]} | $(ratio "${fanon[run0]}" "${fanon[run3]}") | - |"
echo
echo "The others neither wait out a grace nor end holders: they are measured"
echo "while their child lingers a second after leaving the holders, and the"
echo "holders die with their pid namespace."
echo

# 4. output
echo "## Output"
echo
if [ -x scripts/bench-drain.sh ] || [ -f scripts/bench-drain.sh ]; then
	if [ "$quick" = 1 ]; then drain_args=(256M 1); else drain_args=(); fi
	echo "Throughput (scripts/bench-drain.sh ${drain_args[*]:-}):"
	echo
	TINIT=$tinit bash scripts/bench-drain.sh "${drain_args[@]}" 2>&1 | sed 's/^/    /'
	echo
fi
declare -A bfwd_tasks bhwm bleak_hwm
for b in "${tinits[@]}"; do
	"$b" -- head -c "$fwd_size" /dev/zero > >(cat >/dev/null) &
	pid=$!
	read -r bfwd_tasks[$b] _ bhwm[$b] _ < <(watch "$pid")
	wait "$pid"
	# Ending leaks is where tinit allocates: every round rescans /proc.
	HOSTILE_MODE=mass HOSTILE_N=$leaks "$b" --grace 100ms --kill-after 200ms -- "$helper" >/dev/null 2>&1 &
	pid=$!
	read -r _ _ bleak_hwm[$b] _ < <(watch "$pid")
	wait "$pid"
done
fwd_tasks=${bfwd_tasks[$tinit]} hwm=${bhwm[$tinit]} leak_hwm=${bleak_hwm[$tinit]}
# Exit delay: the child stamps the time just before it closes the last
# write ends, and exits; the parent stamps tinit's exit.
delay() { # INIT...
	local end
	HOSTILE_MODE=lastclose HOSTILE_STAMP=$work/stamp "$@" "$helper" >/dev/null
	end=$(usecs)
	echo $((end - $(cat "$work/stamp") / 1000))
}
d_tinit=$(for _ in $(seq "$delay_runs"); do delay "$tinit" --; done | median)
d_tini=$(for _ in $(seq "$delay_runs"); do delay tini-static -s --; done | median)
# Without an init the same measure is the child's own exit and the
# parent's wake-up: what is left after subtracting it is the init's share.
d_none=$(for _ in $(seq "$delay_runs"); do delay; done | median)
echo "| measure | tinit | tini-static | no init | target |"
echo "|---|---:|---:|---:|---|"
echo "| peak RSS forwarding $fwd_size (KiB) | $hwm | - | - | at most 3072 |"
echo "| tasks while forwarding $fwd_size | $fwd_tasks | - | - | at most 6 |"
echo "| peak RSS ending $leaks leaked holders (KiB) | $leak_hwm | - | - | at most 10756 |"
echo "| last close to exit, median of $delay_runs (µs) | $d_tinit | $d_tini | $d_none | under 1000 added by the init |"
echo "| the init's share of that (µs) | $((d_tinit - d_none)) | $((d_tini - d_none)) | 0 | under 1000 |"
echo

# Write-to-arrival latency: a line every ms, stamped before its write(2),
# its delay taken by the reader of the init's output.
lat=$work/latency
if (cd test/integration && go test -run '^$' -bench 'DrainLatency/(no-init|tinit)$' \
	-benchtime "${lat_lines}x" -count 1 . >"$lat" 2>&1); then
	# "... NAME lines N median D p99 D", as the benchmark logs each case
	latof() { awk -v n="$1" -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == n && $(i + 1) == "lines") print $(i + k) }' "$lat"; }
	echo "Write-to-arrival latency, one line a millisecond, $lat_lines lines"
	echo "(BenchmarkDrainLatency): no init $(latof no-init 4) median, p99 $(latof no-init 6);"
	echo "tinit $(latof tinit 4) median, p99 $(latof tinit 6)."
else
	echo "Write-to-arrival latency: BenchmarkDrainLatency failed:"
	sed 's/^/    /' "$lat" | tail -5
fi
echo

# 5. sizes
size() { stat -c %s "$1"; }
echo "## Sizes (bytes)"
echo
echo "| binary | size | ratio to tini-static |"
echo "|---|---:|---:|"
bash scripts/build-static.sh --out-dir "$work/arches" >/dev/null
big=0
for f in "$work"/arches/tinit-*; do
	((s = $(size "$f"), s > big)) && big=$s && bigname=$(basename "$f")
	echo "| $(basename "$f") | $s | $(ratio "$s" "$(size "$(command -v tini-static)")") |"
done
for b in tini-static catatonit dumb-init; do
	echo "| $b | $(size "$(command -v "$b")") | $(ratio "$(size "$(command -v "$b")")" "$(size "$(command -v tini-static)")") |"
done
echo
echo "## Against the targets"
echo
echo "| target | measured | met |"
echo "|---|---|---|"
met() { awk -v v="$1" -v lim="$2" 'BEGIN { print (v != "-" && v + 0 <= lim + 0) ? "yes" : "no" }'; }
r=$(ratio "${start[0]}" "${start[4]}")
echo "| start-up within 1.5x of the Go floor | ${r}x (the Go floor with tinit's signal handlers: $(ratio "${start[6]}" "${start[4]}")x; tinit to that: $(ratio "${start[0]}" "${start[6]}")x) | $(met "$r" 1.5) |"
r=$(ratio "${start[0]}" "${start[1]}")
echo "| start-up within 1.15x of tini-static | ${r}x (the Go floor: $(ratio "${start[4]}" "${start[1]}")x) | $(met "$r" 1.15) |"
for ph in run grace mass; do
	echo "| tasks at most 6, $ph | ${ftask[${ph}0]} (tini-static ${ftask[${ph}1]}, Go floor ${ftask[${ph}3]}) | $(met "${ftask[${ph}0]}" 6) |"
done
r=$(ratio "${frss[run0]}" "${frss[run3]}")
echo "| idle RSS at most 1.3x the Go floor | ${r}x (${frss[run0]} against ${frss[run3]} KiB) | $(met "$r" 1.3) |"
r=$(ratio "${storm_us[tinit]}" "${storm_us[tini-static]}")
echo "| reap storm no slower than tini-static | ${r}x | $(met "$r" 1.00) |"
echo "| peak RSS forwarding $fwd_size at most 3 MiB | $hwm KiB | $(met "$hwm" 3072) |"
echo "| peak RSS ending $leaks holders at most 10,756 KiB | $leak_hwm KiB | $(met "$leak_hwm" 10756) |"
echo "| exit delay under 1 ms median (the init's share) | $((d_tinit - d_none)) µs | $(met "$((d_tinit - d_none))" 999) |"
echo "| every stripped binary within 3 MiB | largest: $bigname, $big bytes | $(met "$big" 3145728) |"
echo "| throughput, latency: no regression | see Output (ratio to the C splice relay; latency medians) | - |"
echo
if [ -n "$before" ]; then
	echo "## Before and after, this run"
	echo
	echo "| figure | before (BEFORE) | after (tinit) | target |"
	echo "|---|---:|---:|---|"
	echo "| start-up to the Go floor | $(ratio "${start[7]}" "${start[4]}")x (${start[7]} µs) | $(ratio "${start[0]}" "${start[4]}")x (${start[0]} µs) | at most 1.5x |"
	echo "| tasks while the child runs | ${ftask[run4]} | ${ftask[run0]} | at most 6 |"
	echo "| tasks during the grace | ${ftask[grace4]} | ${ftask[grace0]} | at most 6 |"
	echo "| tasks while ending $leaks holders | ${ftask[mass4]} | ${ftask[mass0]} | at most 6 |"
	echo "| tasks while forwarding $fwd_size | ${bfwd_tasks[$before]} | $fwd_tasks | at most 6 |"
	echo "| idle RSS (KiB) and to the Go floor | ${frss[run4]} ($(ratio "${frss[run4]}" "${frss[run3]}")x) | ${frss[run0]} ($(ratio "${frss[run0]}" "${frss[run3]}")x) | at most 1.3x |"
	echo "| idle RssAnon (KiB) and to the Go floor | ${fanon[run4]} ($(ratio "${fanon[run4]}" "${fanon[run3]}")x) | ${fanon[run0]} ($(ratio "${fanon[run0]}" "${fanon[run3]}")x) | - |"
	echo "| peak RSS forwarding $fwd_size (KiB) | ${bhwm[$before]} | $hwm | at most 3072 |"
	echo "| peak RSS ending $leaks holders (KiB) | ${bleak_hwm[$before]} | $leak_hwm | at most 10756 |"
	echo "| size of this machine's binary (bytes) | $(size "$before") | $(size "$tinit") | at most 3145728 |"
	echo
fi
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
