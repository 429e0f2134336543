# about: the Python package: its wheels and sdist (build-dist.sh), pytest against the installed wheel
# shellcheck shell=bash
area_python() {
    ensure_postgres
    ensure_wheel
    step "python: pytest against the installed x86_64 wheel"
    (cd bindings-python && "$venv/bin/python" -m pytest -p no:cacheprovider tests) 2>&1 | tee "$log_dir/pytest.log"
}
