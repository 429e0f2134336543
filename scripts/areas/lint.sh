# about: generated files, cargo fmt, clippy (warnings are errors), no import circles, cargo deny, the crates' packages, no floats for money
# shellcheck shell=bash
area_lint() {
    step "generated files: the time-zone table (scripts/gen-tzdata.py --check, against the locked chrono-tz)"
    python3 scripts/gen-tzdata.py --check

    step "format (cargo fmt --check)"
    cargo fmt --all -- --check

    step "lint (cargo clippy, warnings are errors)"
    cargo clippy --workspace --all-targets --all-features -- -D warnings

    step "no import circles: no two files import each other, directly or around a circle (scripts/import-cycles.py)"
    python3 scripts/import-cycles.py core/src bindings-python/src bindings-wasm/src cli/src model/src reliability/src

    step "dependency policy (cargo deny: licenses, bans, sources — deny.toml)"
    # Advisories are not checked here: the RustSec database lives on a git host this network does not reach.
    local deny_version=0.20.2
    if ! cargo deny --version 2>/dev/null | grep -q "$deny_version"; then
        cargo install --locked --quiet cargo-deny --version "$deny_version"
    fi
    cargo deny --offline check --hide-inclusion-graph licenses bans sources 2>&1 | grep -vE '^\s*$' | tail -n 5

    step "crates: cargo package koko-core and koko-cli, each built from its .crate (scripts/package-crates.sh)"
    bash scripts/package-crates.sh 2>&1 | grep -vE '^\s+(Compiling|Downloaded|Downloading|Updating|Unpacking)\b'

    step "no floating point in money paths"
    # The one permitted mention: the serde visitor (money.rs) that turns a float in a plan into an error.
    if grep -rnE '\bf(32|64)\b' core/src bindings-python/src examples --include='*.rs' | grep -v 'fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Decimal, E>'; then
        echo "f32/f64 found above: money must be rust_decimal::Decimal" >&2
        exit 1
    fi
    echo "none"
}
