# about: the example REST API (examples/django-api): manage.py check and its pytest suite, on the installed wheel
# shellcheck shell=bash
area_django() {
    ensure_postgres
    ensure_redis
    ensure_django
    # The koko command, for the tests of `koko --api URL` against a live server (built already by the rust area,
    # with the same features, when the whole suite runs).
    cargo build -q -p koko-cli --all-features
    step "django: the example REST API on the installed wheel (its own venv)"
    (cd examples/django-api && export KOKO_BIN="$root/target/debug/koko" && DJANGO_SECRET_KEY=scripts-test-check "$django_venv/bin/python" manage.py check &&
        "$django_venv/bin/python" -m pytest -p no:cacheprovider) 2>&1 | tee "$log_dir/django.log"
}
