# about: the README's demo (cargo run --example quickstart), twice on one sled store
# shellcheck shell=bash
area_demo() {
    step "demo (cargo run --example quickstart, twice on one store)"
    local demo_dir="$log_dir/koko-data"
    KOKO_DATA="$demo_dir" cargo run -q --example quickstart > "$log_dir/demo1.txt"
    KOKO_DATA="$demo_dir" cargo run -q --example quickstart > "$log_dir/demo2.txt"
    grep -q "First run: seeding" "$log_dir/demo1.txt"
    grep -q "Found the data of earlier runs" "$log_dir/demo2.txt"
    tail -n 4 "$log_dir/demo2.txt"
}
