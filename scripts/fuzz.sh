#!/usr/bin/env bash
# Runs the fuzz harness (tests/fuzz.rs, see docs/fuzzing.md) in release for PMTA_FUZZ_CASES
# cases spread over its targets (default 1,000,000), then prints each target's cases and time,
# the run's wall time and its peak RSS. Fails on any failing case, on a case that runs over
# PMTA_FUZZ_CASE_SECS (the harness's watchdog), on a peak RSS over PMTA_FUZZ_MAX_RSS_MIB, and
# when the whole run exceeds PMTA_FUZZ_TIMEOUT.
#
#   scripts/fuzz.sh                          # 1,000,000 cases
#   PMTA_FUZZ_CASES=50000 scripts/fuzz.sh    # a shorter run
#   scripts/fuzz.sh scan_                    # only the targets whose name holds `scan_`
set -euo pipefail
cd "$(dirname "$0")/.."

export PMTA_FUZZ_CASES="${PMTA_FUZZ_CASES:-1000000}"
export PMTA_FUZZ_CASE_SECS="${PMTA_FUZZ_CASE_SECS:-30}"
export PMTA_FUZZ_MAX_RSS_MIB="${PMTA_FUZZ_MAX_RSS_MIB:-1024}"
timeout="${PMTA_FUZZ_TIMEOUT:-3h}"
threads="${PMTA_FUZZ_THREADS:-2}"

# The test binary, built first so that the time and memory below are the harness's own.
bin=$(cargo test --release --test fuzz --no-run 2>&1 | tee /dev/stderr |
    sed -n 's/.*Executable tests\/fuzz.rs (\(.*\))$/\1/p' | tail -1)
if [[ -z "$bin" || ! -x "$bin" ]]; then
    echo "fuzz.sh: could not build the fuzz harness" >&2
    exit 2
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "fuzz.sh: $PMTA_FUZZ_CASES cases, $threads threads, at most ${PMTA_FUZZ_CASE_SECS}s a case, $timeout in all"
timing=()
if [[ -x /usr/bin/time ]]; then
    timing=(/usr/bin/time -v)
fi
set +e
# The watchdog in the harness ends a hung case; `timeout` is the last resort.
"${timing[@]}" timeout --signal=KILL "$timeout" \
    "$bin" --nocapture --test-threads="$threads" "$@" >"$log" 2>&1
status=$?
set -e

grep -E '^fuzz |^test result|HANG|panicked' "$log" || true
if [[ ${#timing[@]} -gt 0 ]]; then
    grep -E 'Elapsed \(wall clock\)|Maximum resident set size' "$log" || true
fi
total=$(awk '/^fuzz [a-z_]*: [0-9]+ cases/ { n += $3 } END { print n + 0 }' "$log")
echo "fuzz.sh: ${total:-0} cases in all"
if [[ $status -ne 0 ]]; then
    case $status in
        3) echo "fuzz.sh: FAILED: a case hung (its input was saved, see above)" ;;
        137) echo "fuzz.sh: FAILED: the run took over $timeout" ;;
        *) echo "fuzz.sh: FAILED (exit $status); the whole log:"; cat "$log" ;;
    esac
    exit 1
fi
echo "fuzz.sh: passed"
