#!/usr/bin/env bash
# Fuzz smoke run (README: Fuzzing): builds every cargo-fuzz target and runs
# each for a short while on its committed corpus. Fails if any target
# crashes, hangs or runs out of memory; the input that did it is left in
# fuzz/artifacts/<target>/.
#
# Stable Rust: no sanitizer (`-s none`), which needs no -Z flags. What is
# fuzzed is safe Rust, so panics, overflows (debug assertions are on),
# hangs and memory blow-ups are what there is to find.
#
# FUZZ_SECONDS=N runs each target N seconds instead of 20.
set -euo pipefail
cd "$(dirname "$0")"

cargo_fuzz_version=0.13.2
seconds=${FUZZ_SECONDS:-20}

if ! cargo fuzz --version 2>/dev/null | grep -qx "cargo-fuzz $cargo_fuzz_version"; then
    cargo install --quiet --locked cargo-fuzz --version "$cargo_fuzz_version"
fi

# cargo fuzz has no --locked: check the committed lock file is current first.
cargo fetch --locked --quiet
cargo fuzz build -s none

# libFuzzer adds what it finds to the first corpus directory: a scratch one,
# so the committed corpus (second) is only read.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# One target per core at a time.
parallel=$(nproc 2>/dev/null || echo 1)

run() {
    local target=$1 dict=()
    mkdir -p "$scratch/$target"
    if [ -f "dict/$target.dict" ]; then
        dict=("-dict=dict/$target.dict")
    fi
    # -timeout: one input taking 10 s is a hang; -rss_limit_mb: libFuzzer's
    # default, said out loud.
    local rc=0
    cargo fuzz run -s none "$target" "$scratch/$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "${dict[@]}" >"$scratch/$target.log" 2>&1 || rc=$?
    echo "$rc" >"$scratch/$target.rc"
}

targets=$(cargo fuzz list)
for target in $targets; do
    while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do
        wait -n || true
    done
    run "$target" &
done
wait

passed=0
failed=0
for target in $targets; do
    log="$scratch/$target.log"
    if [ "$(cat "$scratch/$target.rc" 2>/dev/null)" = 0 ]; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
        echo "fuzz $target: ok, ${runs:-?} runs in ${seconds} s (${rate:-?}/s)"
        passed=$((passed + 1))
    else
        # What went wrong (a panic, or libFuzzer's timeout or out-of-memory),
        # where the input is and how to reproduce it; else the log's end.
        echo "fuzz $target: FAILED" >&2
        if ! grep -E -A2 "panicked at|ERROR: libFuzzer|Test unit written|^Reproduce with" "$log" >&2; then
            tail -n 25 "$log" >&2 || true
        fi
        failed=$((failed + 1))
    fi
done

echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
