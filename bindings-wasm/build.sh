#!/usr/bin/env bash
# Builds the npm package koko-wasm into target/koko-wasm/pkg — one package for every JavaScript environment — and
# copies it into examples/web-quote/pkg. Which file each environment gets (package.json "exports"):
#   node, import   koko_wasm.node.js  ES module (wasm-bindgen --target experimental-nodejs-module): ready on import
#   node, require  koko_wasm.cjs      CommonJS  (wasm-bindgen --target nodejs): ready on require
#   browsers, bundlers, everything else
#                  koko_wasm.js       ES module (wasm-bindgen --target web): `await init()` fetches koko_wasm_bg.wasm
# All three load the same koko_wasm_bg.wasm (wasm-bindgen emits the same module for these targets; checked below).
# Types: koko_wasm.d.ts for the ES modules, koko_wasm.d.cts for CommonJS.
# Installs what it needs: the wasm32 target and wasm-bindgen-cli at exactly the version in Cargo.lock.
# Honours CARGO_TARGET_DIR for the cargo build; the package always lands in target/koko-wasm/pkg.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target add wasm32-unknown-unknown >/dev/null
version=$(cargo pkgid -p wasm-bindgen | sed 's/.*@//')
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $version"; then
    echo "installing wasm-bindgen-cli $version (matches Cargo.lock)"
    cargo install wasm-bindgen-cli --version "=$version"
fi

cargo build -p koko-wasm --target wasm32-unknown-unknown --profile wasm-release
wasm="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/wasm-release/koko_wasm.wasm"
out=target/koko-wasm
pkg="$out/pkg"
work="$out/bindgen"
rm -rf "$out/web" "$out/nodejs" "$pkg" "$work"   # web/ and nodejs/: the two packages this one replaces
mkdir -p "$pkg"
pkg_version=$(cargo pkgid -p koko-wasm | sed 's/.*@//')

# No name section (function names only serve stack traces: 28 KB gzipped) and no producers section. No wasm-opt:
# binaryen (108 from Debian, 132 from npm) makes the code smaller raw but larger gzipped, and the gzip size is the
# budget (bindings-wasm/tests/package.test.mjs).
for target in web nodejs experimental-nodejs-module; do
    wasm-bindgen --target "$target" --remove-name-section --remove-producers-section --out-dir "$work/$target" "$wasm"
done
for target in nodejs experimental-nodejs-module; do
    cmp -s "$work/web/koko_wasm_bg.wasm" "$work/$target/koko_wasm_bg.wasm" \
        || { echo "wasm-bindgen --target $target emitted another .wasm than --target web: one package cannot share it" >&2; exit 1; }
done
cp "$work/web/koko_wasm_bg.wasm" "$work/web/koko_wasm.js" "$work/web/koko_wasm.d.ts" "$pkg/"
sed 's#@ts-self-types="./koko_wasm.d.ts"#@ts-self-types="./koko_wasm.d.cts"#' "$work/nodejs/koko_wasm.js" > "$pkg/koko_wasm.cjs"
cp "$work/nodejs/koko_wasm.d.ts" "$pkg/koko_wasm.d.cts"
# The node ES module instantiates on import; a no-op init()/initSync() lets code written for the web entry
# (`await init()`) run unchanged in node, and lets both ES entries share koko_wasm.d.ts.
{
    cat "$work/experimental-nodejs-module/koko_wasm.js"
    cat <<'JS'

// koko-wasm (bindings-wasm/build.sh): in node the module is ready on import. These match the web entry's init()
// and initSync(), so the same code runs in both.
export default async function init() { return wasm; }
export function initSync() { return wasm; }
JS
} > "$pkg/koko_wasm.node.js"
rm -rf "$work"

cp bindings-wasm/README.md LICENSE-MIT LICENSE-APACHE "$pkg/"
# The repository URL: one place to change it (the Cargo workspace has its own, [workspace.package] repository).
repository_url="git+https://github.com/koko-bookstore/koko.git"
cat > "$pkg/package.json" <<JSON
{
  "name": "koko-wasm",
  "version": "$pkg_version",
  "description": "Koko's rental pricing engine in WebAssembly: exact decimal-string money, itemised quotes, the same answers as the server.",
  "keywords": ["rental", "pricing", "billing", "library", "bookstore", "decimal", "money", "quote", "wasm", "webassembly"],
  "license": "MIT OR Apache-2.0",
  "repository": { "type": "git", "url": "$repository_url", "directory": "bindings-wasm" },
  "type": "module",
  "main": "./koko_wasm.cjs",
  "module": "./koko_wasm.js",
  "types": "./koko_wasm.d.ts",
  "exports": {
    ".": {
      "node": {
        "import": { "types": "./koko_wasm.d.ts", "default": "./koko_wasm.node.js" },
        "require": { "types": "./koko_wasm.d.cts", "default": "./koko_wasm.cjs" }
      },
      "browser": { "types": "./koko_wasm.d.ts", "default": "./koko_wasm.js" },
      "import": { "types": "./koko_wasm.d.ts", "default": "./koko_wasm.js" },
      "default": { "types": "./koko_wasm.d.ts", "default": "./koko_wasm.js" }
    },
    "./koko_wasm_bg.wasm": "./koko_wasm_bg.wasm",
    "./package.json": "./package.json"
  },
  "files": ["koko_wasm.js", "koko_wasm.node.js", "koko_wasm.cjs", "koko_wasm.d.ts", "koko_wasm.d.cts", "koko_wasm_bg.wasm",
    "LICENSE-MIT", "LICENSE-APACHE"],
  "sideEffects": false
}
JSON

rm -rf examples/web-quote/pkg
cp -r "$pkg" examples/web-quote/pkg

# Measured as bindings-wasm/tests/package.test.mjs does: node's zlib, gzip level 9.
node -e 'const b = require("fs").readFileSync(process.argv[1]); const gz = require("zlib").gzipSync(b, { level: 9 }).length;
    console.log(`koko-wasm ${process.argv[2]} in ${process.argv[3]}: koko_wasm_bg.wasm ${b.length} bytes raw, ${gz} bytes gzipped (zlib level 9)`)' \
    "$pkg/koko_wasm_bg.wasm" "$pkg_version" "$pkg"
