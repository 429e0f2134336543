# about: the npm package koko-wasm: build, node tests, TypeScript types, the packed package, the quote page in Chromium
# shellcheck shell=bash
area_wasm() {
    # The quote page's live test (tests/browser_api.test.mjs) starts the REST API from the Django venv.
    ensure_django
    step "javascript: koko-wasm (one package: node require/import, browsers, bundlers), node tests, TypeScript types, the packed package, the quote page in Chromium"
    (cd bindings-wasm && npm ci --no-audit --no-fund --loglevel=error)
    bash bindings-wasm/build.sh
    (cd bindings-wasm && node --test tests/vectors.test.mjs tests/bad_input.test.mjs tests/shared_bad_inputs.test.mjs tests/types.test.mjs tests/package.test.mjs tests/browser.test.mjs tests/browser_api.test.mjs) \
        2>&1 | tee "$log_dir/node.log" | grep -E '^not ok|^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) |^# koko-wasm size: ' || true
    if grep -q '^# fail [1-9]' "$log_dir/node.log" || ! grep -q '^# pass [1-9]' "$log_dir/node.log"; then
        grep -B2 -A20 '^not ok' "$log_dir/node.log" | head -n 80
        echo "node tests failed" >&2
        exit 1
    fi
    if grep -q '^# skipped [1-9]' "$log_dir/node.log"; then
        grep -E '# SKIP' "$log_dir/node.log" | head -n 20
        echo "node tests were skipped (above): every test must run here" >&2
        exit 1
    fi
    echo "screenshot: target/koko-wasm/web-quote.png"
}
