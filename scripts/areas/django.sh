# about: the example REST API (examples/django-api): manage.py check and its pytest suite, on the installed wheel
# shellcheck shell=bash
area_django() {
    ensure_postgres
    ensure_django
    step "django: the example REST API on the installed wheel (its own venv)"
    (cd examples/django-api && DJANGO_SECRET_KEY=scripts-test-check "$django_venv/bin/python" manage.py check &&
        "$django_venv/bin/python" -m pytest -p no:cacheprovider) 2>&1 | tee "$log_dir/django.log"
}
