#!/usr/bin/env bash
# Builds the Python distribution `koko-bookstore` (import name `koko`) as users install it, and proves it installs:
#   - manylinux2014 wheels for x86_64 and aarch64 (maturin --zig), each checked by `auditwheel show`;
#   - an sdist, built into a wheel by `pip wheel --no-deps` in a fresh venv;
#   - the x86_64 wheel and the sdist-built wheel each installed in a fresh venv and imported to price a quote.
# Usage: bindings-python/build-dist.sh OUT_DIR
#   OUT_DIR gets the two wheels and the sdist (older koko_bookstore files in it are removed first).
#   CARGO_TARGET_DIR: where cargo builds (default: the repository's target/); the sdist build uses it too, so it
#   reuses the crates already compiled for this machine.
#   KOKO_PY_VENV: a venv with bindings-python/requirements-test.txt installed (maturin, ziglang, auditwheel);
#   default: $CARGO_TARGET_DIR/dist-venv, created or updated here.
# Prints each step's time and, at the end, each artifact's name and size.
set -euo pipefail

if [ "$#" -ne 1 ]; then
    echo "usage: $0 OUT_DIR" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
mkdir -p "$1"
out=$(cd "$1" && pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
mkdir -p "$CARGO_TARGET_DIR"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

started=$SECONDS
step_started=$SECONDS
timings=()
step() {
    printf '\n--> %s\n' "$*"
    step_started=$SECONDS
}
took() { timings+=("$(printf '%5ss  %s' "$((SECONDS - step_started))" "$1")"); }
pip_quiet() { "$@" -q --disable-pip-version-check; }

step "tools: maturin, ziglang, auditwheel (requirements-test.txt); the aarch64 Rust target"
venv="${KOKO_PY_VENV:-$CARGO_TARGET_DIR/dist-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
pip_quiet "$venv/bin/pip" install -r "$here/requirements-test.txt"
# maturin finds zig as `python3 -m ziglang` on PATH, so the venv goes first.
export PATH="$venv/bin:$PATH"
rustup target add x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu
echo "maturin $(maturin --version | awk '{print $2}'), zig $(python3 -m ziglang version)," \
    "auditwheel $(auditwheel --version | head -n 1 | awk '{print $2}')"
took "tools"

rm -f "$out"/koko_bookstore-*
manifest="$here/Cargo.toml"

# Builds the manylinux2014 wheel for one architecture and checks it with auditwheel.
wheel_for() {
    local arch=$1 wheel report
    step "wheel: manylinux2014 $arch (maturin build --release --zig)"
    maturin build --release --zig --compatibility manylinux2014 --target "$arch-unknown-linux-gnu" \
        -m "$manifest" -o "$out"
    wheel=$(ls "$out"/koko_bookstore-*-manylinux*_"$arch".whl)
    report=$(auditwheel show "$wheel")
    echo "$report"
    # auditwheel names the most compatible platform tag; manylinux2014 is manylinux_2_17.
    if ! grep -qE "\"(manylinux_2_17|manylinux2014)_$arch\"" <<<"$report"; then
        echo "auditwheel does not report manylinux2014 ($arch) compatibility for $(basename "$wheel")" >&2
        exit 1
    fi
    took "wheel $arch (build + auditwheel)"
}
wheel_for x86_64
wheel_for aarch64

step "sdist (maturin sdist)"
maturin sdist -m "$manifest" -o "$out"
sdist=$(ls "$out"/koko_bookstore-*.tar.gz)
took "sdist"

# A fresh venv that imports koko from what was installed in it and prices story 3's novel for 2 days.
check_import() {
    local python=$1 what=$2
    (cd "$work" && "$python" -c '
import sys, koko
total = koko.PricePlan.story3().quote_days("novel", 2).total
assert str(total) == "4.50", total
print("import koko", koko.__version__, "from", koko.__file__, "- story3 novel 2 days:", total)
')
    echo "$what: imports and quotes"
}

step "sdist → wheel: pip wheel --no-deps in a fresh venv, then install and import it"
python3 -m venv "$work/sdist-venv"
# --no-cache-dir: build it here and now, never a wheel pip cached from an earlier sdist of the same name.
pip_quiet "$work/sdist-venv/bin/pip" wheel --no-deps --no-cache-dir -w "$work/from-sdist" "$sdist"
pip_quiet "$work/sdist-venv/bin/pip" install "$work"/from-sdist/koko_bookstore-*.whl
check_import "$work/sdist-venv/bin/python" "the wheel built from $(basename "$sdist")"
took "sdist → wheel (pip wheel, install, import)"

step "the x86_64 wheel in a fresh venv"
python3 -m venv "$work/wheel-venv"
x86_wheel=$(ls "$out"/koko_bookstore-*-manylinux*_x86_64.whl)
pip_quiet "$work/wheel-venv/bin/pip" install "$x86_wheel"
check_import "$work/wheel-venv/bin/python" "$(basename "$x86_wheel")"
took "x86_64 wheel install + import"

printf '\nartifacts in %s:\n' "$out"
for artifact in "$out"/koko_bookstore-*; do
    printf '  %-80s %9s bytes (%s)\n' "$(basename "$artifact")" "$(stat -c %s "$artifact")" \
        "$(du -h "$artifact" | cut -f1)"
done
printf '\ntimings:\n'
printf '  %s\n' "${timings[@]}"
echo "build-dist: done in $((SECONDS - started))s"
