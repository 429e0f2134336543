# about: koko-core without default features (no sled), and its build for wasm32
# shellcheck shell=bash
area_no_default() {
    step "koko-core without default features (no sled), and for wasm32"
    cargo test -p koko-core --no-default-features --lib 2>&1 | tee "$log_dir/cargo-no-default.log"
    cargo build -p koko-core --no-default-features --target wasm32-unknown-unknown
}
