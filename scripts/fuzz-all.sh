#!/usr/bin/env bash
# Runs every cargo-fuzz target for a fixed time, one after another (or
# JOBS at a time), and prints one summary line per target: seconds run,
# executions, and whether it crashed. Crash inputs land in
# fuzz/artifacts/<target>/; turn each into a regression test (see
# RELIABILITY.md) before fixing it.
#
#   scripts/fuzz-all.sh SECONDS [TARGET...]
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). On a stable toolchain the
# libFuzzer flags need RUSTC_BOOTSTRAP=1, which this script sets. The
# sanitizer is off (`-s none`): the code under test is safe Rust, and
# overflow checks and debug assertions stay on (cargo-fuzz's default).
# Environment: JOBS (targets at once, default 1), FUZZ_TARGET_DIR (build
# directory, default fuzz/target), NICE (niceness, default 10).
set -euo pipefail

seconds=${1:?usage: scripts/fuzz-all.sh SECONDS [TARGET...]}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/fuzz"
export RUSTC_BOOTSTRAP=1
target_dir=${FUZZ_TARGET_DIR:-$root/fuzz/target}
jobs=${JOBS:-1}
nice_level=${NICE:-10}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list)
fi
logs="$root/fuzz/logs"
mkdir -p "$logs"

# Build every target first, then run the binaries themselves, so the timed
# runs measure fuzzing only (and hold no cargo lock).
nice -n "$nice_level" cargo fuzz build -s none --target-dir "$target_dir"
host=$(rustc -vV | sed -n 's/^host: //p')
bin_dir="$target_dir/$host/release"

run_one() {
    local t=$1
    local corpus="$root/fuzz/corpus/$t"
    mkdir -p "$corpus" "$root/fuzz/artifacts/$t"
    if [ -d "$root/fuzz/seeds/$t" ]; then cp -n "$root/fuzz/seeds/$t"/* "$corpus"/ 2>/dev/null || true; fi
    local start=$(date +%s)
    set +e
    # -timeout: an input taking 60 s is a hang (wall clock: a niced fuzzer on a
    # busy machine can be starved for seconds, so 10 s gave false alarms);
    # -rss_limit_mb: a memory blow-up.
    nice -n "$nice_level" "$bin_dir/$t" "$corpus" -artifact_prefix="$root/fuzz/artifacts/$t/" \
        -max_total_time="$seconds" -timeout=60 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
        >"$logs/$t.log" 2>&1
    local rc=$?
    set -e
    local ran=$(( $(date +%s) - start ))
    local execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$logs/$t.log" | grep -o '[0-9]*$' || echo '?')
    local found="no crash"
    if [ $rc -ne 0 ]; then found="CRASH (exit $rc; see fuzz/logs/$t.log and fuzz/artifacts/$t/)"; fi
    echo "$t: ${ran}s, ${execs} executions, corpus $(ls "$corpus" | wc -l) inputs, $found"
}

pids=()
for t in "${targets[@]}"; do
    run_one "$t" > "$logs/$t.summary" &
    pids+=($!)
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
done
wait
status=0
for t in "${targets[@]}"; do
    cat "$logs/$t.summary"
    grep -q CRASH "$logs/$t.summary" && status=1
done
exit $status
