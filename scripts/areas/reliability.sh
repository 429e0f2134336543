# about: SIGKILL crash cycles and a full disk on sled (KOKO_CRASH_CYCLES, default 5)
# shellcheck shell=bash
area_reliability() {
    step "reliability: SIGKILL crash cycles and a full disk on sled (KOKO_CRASH_CYCLES=${KOKO_CRASH_CYCLES:-5}; the full run uses 100)"
    # --nocapture shows each cycle's seed and the summary lines (cycles, acknowledged operations verified, rentals checked).
    if ! cargo test -p koko-reliability -- --nocapture 2>&1 | tee "$log_dir/cargo-reliability.log" |
        grep -E '^(crash|disk_full)[ :(]|^test result' | grep -v '^crash cycle'; then
        tail -n 60 "$log_dir/cargo-reliability.log"
        echo "reliability tests failed" >&2
        exit 1
    fi
}
