# about: the koko command's tests, PostgreSQL included (cargo test -p koko-cli)
# shellcheck shell=bash
area_cli() {
    ensure_postgres
    step "the koko command (cargo test -p koko-cli: a 100,000-book import with bad rows, round trips, check on a damaged store)"
    cargo test -p koko-cli 2>&1 | tee "$log_dir/cargo-cli.log"
    no_ignored_tests "$log_dir/cargo-cli.log"
}
