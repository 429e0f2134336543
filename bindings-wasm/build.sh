#!/usr/bin/env bash
# Builds the npm package koko-wasm twice — target/koko-wasm/web (ES module for pages) and
# target/koko-wasm/nodejs (CommonJS for node) — and copies the web one into examples/web-quote/pkg.
# Installs what it needs: the wasm32 target and wasm-bindgen-cli at exactly the version in Cargo.lock.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target add wasm32-unknown-unknown >/dev/null
version=$(cargo pkgid -p wasm-bindgen | sed 's/.*@//')
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $version"; then
    echo "installing wasm-bindgen-cli $version (matches Cargo.lock)"
    cargo install wasm-bindgen-cli --version "=$version"
fi

cargo build -p koko-wasm --target wasm32-unknown-unknown --profile wasm-release
wasm=target/wasm32-unknown-unknown/wasm-release/koko_wasm.wasm
out=target/koko-wasm
rm -rf "$out"
pkg_version=$(cargo pkgid -p koko-wasm | sed 's/.*@//')
for target in web nodejs; do
    wasm-bindgen --target "$target" --out-dir "$out/$target" "$wasm"
    if [ "$target" = web ]; then module_type='"type": "module",'; entry='"module": "koko_wasm.js", "main": "koko_wasm.js",'; else module_type=''; entry='"main": "koko_wasm.js",'; fi
    cat > "$out/$target/package.json" <<JSON
{
  "name": "koko-wasm",
  "version": "$pkg_version",
  "description": "Koko's rental pricing engine in WebAssembly: exact decimal-string money, itemised quotes, the same answers as the server.",
  "license": "MIT OR Apache-2.0",
  $module_type
  $entry
  "types": "koko_wasm.d.ts",
  "files": ["koko_wasm.js", "koko_wasm.d.ts", "koko_wasm_bg.wasm", "koko_wasm_bg.wasm.d.ts"],
  "sideEffects": false
}
JSON
    cp bindings-wasm/README.md "$out/$target/README.md"
done
# wasm-opt (Debian's binaryen) when it is installed — but only if the optimised module still loads: binaryen 108
# rewrites the externref table wasm-bindgen 0.2.130 emits into one that node and browsers reject.
optimised="wasm-opt not installed: not optimised"
if command -v wasm-opt >/dev/null; then
    trial="$out/trial"
    cp -r "$out/nodejs" "$trial"
    wasm-opt -Os --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
        --enable-nontrapping-float-to-int --enable-multivalue --enable-reference-types \
        "$trial/koko_wasm_bg.wasm" -o "$trial/koko_wasm_bg.wasm"
    if node -e "const k = require(process.argv[1]); if (k.PricePlan.story3().quoteDays('novel', 2).total !== '4.50') process.exit(1)" \
        "$PWD/$trial/koko_wasm.js" 2>/dev/null; then
        for target in web nodejs; do cp "$trial/koko_wasm_bg.wasm" "$out/$target/koko_wasm_bg.wasm"; done
        optimised="after $(wasm-opt --version | head -n 1) -Os"
    else
        optimised="not optimised: $(wasm-opt --version | head -n 1) output does not load (externref table), kept wasm-bindgen's"
    fi
    rm -rf "$trial"
fi

rm -rf examples/web-quote/pkg
cp -r "$out/web" examples/web-quote/pkg

size=$(wc -c < "$out/web/koko_wasm_bg.wasm")
gz=$(gzip -9 -c "$out/web/koko_wasm_bg.wasm" | wc -c)
echo "koko-wasm $pkg_version: koko_wasm_bg.wasm $size bytes raw, $gz bytes gzipped ($optimised)"
