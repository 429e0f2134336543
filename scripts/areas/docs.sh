# about: the documentation site (docs/, mkdocs build --strict: links and anchors checked) and every command of its guides run (docs/run_guides.py)
# shellcheck shell=bash
area_docs() {
    # The guides run the koko command, the wheel and the REST API (its venv: Django and the wheel).
    ensure_django
    step "docs: the site (mkdocs build --strict into target/docs-site: broken links and anchors fail it)"
    local docs_venv="$PWD/target/docs-venv"
    # The tools pinned in docs/requirements.txt, in a venv made again only when that file changes.
    if ! cmp -s docs/requirements.txt "$docs_venv/requirements.txt"; then
        python3 -m venv --clear "$docs_venv"
        "$docs_venv/bin/pip" install -q --disable-pip-version-check -r docs/requirements.txt
        cp docs/requirements.txt "$docs_venv/requirements.txt"
    fi
    "$docs_venv/bin/mkdocs" --version
    "$docs_venv/bin/mkdocs" build --strict -d target/docs-site 2>&1 | tee "$log_dir/docs.log"
    step "docs: the koko command the guides run (target/debug/koko, built as area rust builds it)"
    cargo build --workspace --all-features --exclude koko-reliability --bin koko
    step "docs: every command of the guides and the README's three ways in, output checked (docs/run_guides.py)"
    python3 docs/run_guides.py --bin target/debug --venv "$django_venv" 2>&1 | tee -a "$log_dir/docs.log"
}
