# about: the benchmark comparisons as --quick smoke runs (both sides agree on every total; no timing claims), and the scaling table (issue 25) at small sizes
# shellcheck shell=bash
area_bench() {
    ensure_django
    step "benchmark comparisons (--quick smoke runs: both sides agree on every total; no timing claims)"
    "$venv/bin/python" benches/compare/python_quotes.py --quick
    "$django_venv/bin/python" benches/compare/django_rentals.py --quick
    "$django_venv/bin/python" benches/compare/http_cycle.py --quick
    "$django_venv/bin/python" benches/compare/export_job.py --quick
    if [ ! -f target/koko-wasm/pkg/koko_wasm.cjs ]; then
        (cd bindings-wasm && npm ci --no-audit --no-fund --loglevel=error) && bash bindings-wasm/build.sh
    fi
    node benches/compare/js_quotes.mjs --quick
    step "scaling: each operation's time per call as the data it does not return grows (--quick: N = 250, 1k; a table, no timing claim)"
    cargo bench -p koko-benches --bench scaling -- --quick
}
