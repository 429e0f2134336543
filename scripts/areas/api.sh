# about: the REST API run for real: hadolint on its Dockerfile, schemathesis against gunicorn on 127.0.0.1
# shellcheck shell=bash
area_api() {
    ensure_django
    step "rest api: hadolint on the Dockerfile; schemathesis against gunicorn on 127.0.0.1 (a staff token, 20 examples)"
    (cd examples/django-api && "$django_venv/bin/hadolint" Dockerfile && echo "hadolint: Dockerfile clean")
    # tools/live_api.py starts gunicorn (gunicorn.conf.py) on a fresh store and database, fills in {url} and {token},
    # and stops it. One worker: CPython 3.11's ast module is not thread-safe under hypothesis' concurrent draws.
    # /auth/token/… is left out: revoking or rotating the run's own token would end the run (tests/test_roles.py).
    (cd examples/django-api && "$django_venv/bin/python" tools/live_api.py --timeout 900 -- \
        "$django_venv/bin/schemathesis" run '{url}/schema/?format=json' -H 'Authorization: Token {token}' \
        --max-examples 20 --seed 1 --workers 1 --phases examples,coverage,fuzzing --exclude-path-regex '^/auth/token/' \
        --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance) \
        > "$log_dir/schemathesis.log" 2>&1 || { tail -n 80 "$log_dir/schemathesis.log"; echo "schemathesis failed" >&2; exit 1; }
    sed -n '/= SUMMARY =/,$p' "$log_dir/schemathesis.log" | grep -v '^$'
}
