#!/usr/bin/env bash
# Fuzzes koko-core with cargo-fuzz (libFuzzer, nightly Rust). Targets: plan_json, plan_toml, quote, store_ops.
#
#   fuzz/run.sh corpus            run every target once over its committed corpus (fuzz/corpus/<target>), no fuzzing
#   fuzz/run.sh full [SECONDS]    fuzz every target for SECONDS (default 60), starting from its corpus
#   fuzz/run.sh regressions       run the known crashing inputs (fuzz/regressions/<target>): each line says whether
#                                 it still crashes; exits non-zero while any does
#
# Prints the inputs executed per target and a final summary line; exits non-zero if any target crashed.
# `full` writes the new inputs it finds to fuzz/target/fuzz-work/<target>, never into the committed corpus (merge
# them with `cargo +nightly fuzz cmin <target>` after copying them in); a crash leaves its input in
# fuzz/artifacts/<target>/ and the log in fuzz/target/fuzz-logs/<target>.log.
# Installs cargo-fuzz (crates.io) if it is missing; needs the nightly toolchain (installs it with rustup if absent).
set -euo pipefail
cd "$(dirname "$0")"

mode=${1:-corpus}
seconds=${2:-60}
case "$mode" in
    corpus | regressions) ;;
    full)
        if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
            echo "usage: $0 full [SECONDS]  (a positive whole number of seconds)" >&2
            exit 2
        fi
        ;;
    *)
        echo "usage: $0 corpus | full [SECONDS] | regressions" >&2
        exit 2
        ;;
esac

targets=(plan_json plan_toml quote store_ops)
# Debug assertions on, so an integer overflow in koko-core is a crash rather than a silently wrong charge.
build_flags=(--debug-assertions)
started=$SECONDS

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "installing the nightly toolchain (rustup)"
    rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz (cargo install cargo-fuzz --locked)"
    cargo install cargo-fuzz --locked
fi

logs=target/fuzz-logs
mkdir -p "$logs"

echo "==> building the fuzz targets (cargo +nightly fuzz build)"
build_started=$SECONDS
cargo +nightly fuzz build "${build_flags[@]}"
echo "built in $((SECONDS - build_started)) s"

# The value of a libFuzzer final stat (printed with -print_final_stats=1) in a log, or "?".
stat() { sed -n "s/^stat::$1: *\([0-9]*\).*/\1/p" "$2" | tail -n 1 | grep . || echo "?"; }

# Prints where a crash is: the panic or sanitizer report and the saved input.
show_crash() {
    grep -E -A12 "panicked at|ERROR: (libFuzzer|AddressSanitizer)" "$1" | head -n 40 || true
    grep -E "Test unit written to|^Base64:" "$1" || true
}

failed=()
total=0

if [ "$mode" = regressions ]; then
    for t in "${targets[@]}"; do
        for input in regressions/"$t"/*; do
            [ -f "$input" ] || continue
            log="$logs/$t-regression.log"
            if cargo +nightly fuzz run "${build_flags[@]}" "$t" "$input" -- -runs=1 \
                -artifact_prefix="$logs/" >"$log" 2>&1; then
                echo "$t: $input no longer crashes (move it into corpus/$t)"
            else
                echo "$t: $input still crashes"
                grep -m 1 -A1 "panicked at" "$log" || true
                failed+=("$t:$(basename "$input")")
            fi
            total=$((total + 1))
        done
    done
    if [ "${#failed[@]}" -gt 0 ]; then
        echo "fuzz regressions: $total inputs, ${#failed[@]} still crash (${failed[*]})"
        exit 1
    fi
    echo "fuzz regressions: $total inputs, none crashes"
    exit 0
fi

for t in "${targets[@]}"; do
    corpus="corpus/$t"
    mkdir -p "$corpus"
    log="$logs/$t.log"
    t_started=$SECONDS
    if [ "$mode" = corpus ]; then
        args=("$corpus" -- -runs=0 -print_final_stats=1 -timeout=30)
    else
        work="target/fuzz-work/$t"
        rm -rf "$work"
        mkdir -p "$work"
        args=("$work" "$corpus" -- -max_total_time="$seconds" -print_final_stats=1 -timeout=30)
    fi
    rc=0
    cargo +nightly fuzz run "${build_flags[@]}" "$t" "${args[@]}" >"$log" 2>&1 || rc=$?
    executed=$(stat number_of_executed_units "$log")
    [ "$executed" != "?" ] && total=$((total + executed))
    if [ "$mode" = corpus ]; then
        inputs=$(find "$corpus" -type f | wc -l)
        line="$t: $executed inputs executed (corpus: $inputs files) in $((SECONDS - t_started)) s"
    else
        new=$(find "$work" -type f | wc -l)
        line="$t: $executed executions in $((SECONDS - t_started)) s ($(stat average_exec_per_sec "$log")/s, $new new inputs)"
    fi
    if [ "$rc" -ne 0 ]; then
        echo "$line — CRASHED (exit $rc, log $PWD/$log)"
        show_crash "$log"
        failed+=("$t")
    else
        echo "$line"
    fi
done

summary="fuzz $mode: ${#targets[@]} targets, $total executions, ${#failed[@]} crashed"
[ "$mode" = full ] && summary="$summary ($seconds s each)"
summary="$summary, $((SECONDS - started)) s"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "$summary: ${failed[*]}"
    exit 1
fi
echo "$summary"
