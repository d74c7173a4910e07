#!/usr/bin/env bash
# The soak: the tests that guard tinit's promise (no output lost, leaks
# ended within the bound, hostile tests, exit statuses) run again and again
# with every core kept busy, then the whole suite once on a quiet machine.
# A timing race that one pass on an idle machine hides shows up here.
#
#   scripts/soak.sh [--minutes N] [--run REGEXP] [--burn-nice K]
#
# N (default 15) is the time given to the repeats; the whole suite adds
# about 40 minutes on 2 cores (upstream autopkgtest's own suite is 15 of
# them), so the default soak ends within 60 minutes.
#
# The busy loops run at nice K (default 19): the cores are never idle, so
# every wait and wake-up races with other work, but tinit is not starved.
# At nice 0 two busy loops leave tinit a third of a core on 2 cores, and
# the tests that end 2,000 processes or scan 750,000 fds miss grace +
# kill-after + 1 s by 0.3 to 1.0 s: the bound assumes tinit gets the CPU
# its scans need (docs/limits.md).
# Every failure is printed with its test's name and the run it failed in,
# and the soak exits 1 if there was any. --run repeats other tests instead.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=15
nice=19
focus='^(TestDrain|TestLeak|TestHostile|TestStatus)'
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="$2"; shift 2 ;;
    --run) focus="$2"; shift 2 ;;
    --burn-nice) nice="$2"; shift 2 ;;
    *) echo "usage: scripts/soak.sh [--minutes N] [--run REGEXP] [--burn-nice K]" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d -t tinit-soak.XXXXXX)
burners=()
stop_burners() {
  for pid in "${burners[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  burners=()
}
trap 'stop_burners; rm -rf "$work"' EXIT

# One test binary for every run: the repeats measure tinit, not the compiler.
go test -race -c -o "$work/integration.test" ./test/integration

# A busy loop per core, so no core is ever idle.
for _ in $(seq "$(nproc)"); do
  nice -n "$nice" bash -c 'while :; do :; done' &
  burners+=("$!")
done

deadline=$(( $(date +%s) + minutes * 60 ))
runs=0
failures=0
: >"$work/failed"
while [ "$(date +%s)" -lt "$deadline" ]; do
  runs=$((runs + 1))
  log="$work/run-$runs.log"
  if (cd test/integration && "$work/integration.test" -test.run "$focus" \
        -test.count 1 -test.timeout 30m -test.v) >"$log" 2>&1; then
    printf 'soak run %d: ok\n' "$runs"
  else
    failures=$((failures + 1))
    printf 'soak run %d: FAILED\n' "$runs"
    # Subtests are named under their test; the deepest name says most.
    grep -E '^\s*--- FAIL: ' "$log" | sed -E "s/^\s*--- FAIL: ([^ ]+).*/run $runs: \1/" \
      | tee -a "$work/failed"
    grep -qE '^\s*--- FAIL: ' "$log" || { echo "run $runs: (no test named; tail follows)" | tee -a "$work/failed"; tail -n 30 "$log"; }
  fi
done
stop_burners

tests=$(grep -cE '^=== RUN   Test[^/]*$' "$work/run-1.log" || true)
printf '\nsoak: %d runs of %d top-level tests matching %s, with %d cores busy at nice %d\n' \
  "$runs" "$tests" "$focus" "$(nproc)" "$nice"

printf '\nsoak: the whole suite once\n'
if ! go test -race -count=1 -timeout 80m ./...; then
  echo "whole suite: FAILED" | tee -a "$work/failed"
  failures=$((failures + 1))
fi

if [ -s "$work/failed" ]; then
  printf '\nsoak failures (test, run):\n'
  cat "$work/failed"
  exit 1
fi
printf '\nsoak: no failure in %d loaded runs and the whole suite\n' "$runs"
