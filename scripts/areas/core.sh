# about: koko-core's tests on every backend, PostgreSQL included (cargo test -p koko-core --all-features)
# shellcheck shell=bash
area_core() {
    ensure_postgres
    step "koko-core (cargo test -p koko-core --all-features)"
    cargo test -p koko-core --all-features 2>&1 | tee "$log_dir/cargo-core.log"
    no_ignored_tests "$log_dir/cargo-core.log"
}
