# about: every Rust test of the workspace but the reliability harness (cargo test --workspace --all-features), PostgreSQL included
# shellcheck shell=bash
area_rust() {
    ensure_postgres
    step "tests (cargo test --workspace --all-features)"
    cargo test --workspace --all-features --exclude koko-reliability 2>&1 | tee "$log_dir/cargo-test.log"
    no_ignored_tests "$log_dir/cargo-test.log"
}
