# The full run's closing counts, across runtimes (bad inputs, accounts, circulation, the REST API, the koko command):
# read from the logs of the areas above, which all passed. Not an area of its own.
# shellcheck shell=bash
totals() {
    step "bad inputs across runtimes: one table (core/tests/bad_input_table.json), each case a typed error, store unchanged"
    table_cases() { python3 -c "import json, sys; d = json.load(open('core/tests/bad_input_table.json')); print(sum(sys.argv[1] in c['runtimes'] for c in d['cases']))" "$1"; }
    # The suites above passed, so every collected case passed.
    python_runs=$(cd bindings-python && "$venv/bin/python" -m pytest -p no:cacheprovider --collect-only -q tests/test_shared_bad_inputs.py | grep -c '::test_bad_input')
    js_cases=$(grep -c '^ok .* - bad input: ' "$log_dir/node.log" || true)
    echo "bad inputs: $(table_cases rust) Rust cases on memory and sled, $(table_cases python) Python cases ($python_runs runs on plans, memory and sled), $js_cases JS cases ($(table_cases js) in the table): every one the expected typed error, no store changed"

    step "rule scenarios: core/tests/scenarios/*.json, worked out by hand, run from Rust, Python and over HTTP"
    # The suites above passed, so every scenario test counted here passed.
    read -r scenario_files scenarios scenario_steps < <(python3 -c "import json, pathlib; fs = sorted(pathlib.Path('core/tests/scenarios').glob('*.json')); ss = [s for f in fs for s in json.loads(f.read_text())['scenarios']]; print(len(fs), len(ss), sum(len(s['steps']) for s in ss))")
    rust_scenarios=$(awk '/^ +Running /{bin=$2} /^test .* \.\.\. ok$/ && bin ~ /tests\/scenarios\.rs/ {n++} END {print n+0}' "$log_dir/cargo-test.log")
    python_scenarios=$(cd bindings-python && "$venv/bin/python" -m pytest -p no:cacheprovider --collect-only -q tests/test_scenarios.py | grep -c '::test_scenario\[')
    http_scenarios=$(cd examples/django-api && "$django_venv/bin/python" -m pytest -p no:cacheprovider --collect-only -q tests/test_scenarios.py | grep -c '::test_scenario')
    echo "scenarios: $scenario_files files, $scenarios scenarios, $scenario_steps steps; $rust_scenarios Rust tests (each file on memory, sled, sled-interval and PostgreSQL), $python_scenarios Python runs (memory and sled), $http_scenarios over HTTP: all passed"

    step "accounts: the ledger scenarios (core/tests/scenarios/ledger.json) and the account tests"
    # The suites above passed, so every test counted here passed.
    rust_accounts=$(awk '/^ +Running /{bin=$2} /^test .* \.\.\. ok$/ && bin ~ /tests\/account_conformance\.rs/ {n++} END {print n+0}' "$log_dir/cargo-test.log")
    python_accounts=$(cd bindings-python && "$venv/bin/python" -m pytest -p no:cacheprovider --collect-only -q tests/test_accounts.py | grep -c '::')
    django_accounts=$(cd examples/django-api && "$django_venv/bin/python" -m pytest -p no:cacheprovider --collect-only -q tests/test_accounts.py | grep -c '::')
    echo "accounts: $rust_accounts Rust account tests (conformance on every backend, limits and keys under concurrency, migration), $python_accounts Python and $django_accounts Django account tests passed"

    step "circulation: renewals, holds, lost and found copies, closed days and notices"
    # The suites above passed, so every test counted here passed.
    rust_circulation=$(awk '/^ +Running /{bin=$2} /^test .* \.\.\. ok$/ && bin ~ /tests\/(circulation|hold_races|renewals|model)\.rs/ {n++} END {print n+0}' "$log_dir/cargo-test.log")
    calendar_vectors=$(python3 -c "import json; print(len(json.load(open('core/tests/vectors/calendar.json'))['cases']))")
    python_circulation=$(cd bindings-python && "$venv/bin/python" -m pytest -p no:cacheprovider --collect-only -q tests/test_circulation.py tests/test_renewals.py | grep -c '::')
    django_circulation=$(cd examples/django-api && "$django_venv/bin/python" -m pytest -p no:cacheprovider --collect-only -q tests/test_circulation.py | grep -c '::')
    django_notices=$(cd examples/django-api && "$django_venv/bin/python" -m pytest -p no:cacheprovider --collect-only -q tests/test_send_notices.py | grep -c '::')
    echo "circulation: $rust_circulation Rust tests (holds in a batch, hold races, closed days, the model with holds; the stories are scenarios above); $calendar_vectors hand-worked calendar vectors passed in Rust, Python and JS; $python_circulation Python and $django_circulation Django circulation tests; $django_notices send_notices tests against an SMTP server on 127.0.0.1 passed"

    step "rest api: roles, docs, the operations issue 15 added, pagination, and schemathesis"
    # The suites above passed, so every test counted here passed.
    django_api=$(cd examples/django-api && "$django_venv/bin/python" -m pytest -p no:cacheprovider --collect-only -q tests/test_roles.py tests/test_operations.py tests/test_docs_and_deploy.py | grep -c '::')
    django_all=$(cd examples/django-api && "$django_venv/bin/python" -m pytest -p no:cacheprovider --collect-only -q | grep -c '::')
    django_pages=$(cd examples/django-api && "$django_venv/bin/python" -m pytest -p no:cacheprovider --collect-only -q tests/test_pagination.py | grep -c '::')
    st_cases=$(sed -nE 's/^ *([0-9]+) generated, ([0-9]+) passed.*/\2 of \1/p' "$log_dir/schemathesis.log")
    st_ops=$(sed -nE 's/^ *Tested: ([0-9]+).*/\1/p' "$log_dir/schemathesis.log")
    quote_page=$(grep -c '^ok .* - the browser quotes what the server answers' "$log_dir/node.log" || true)
    django_security=$(cd examples/django-api && "$django_venv/bin/python" -m pytest -p no:cacheprovider --collect-only -q tests/test_security.py | grep -c '::')
    echo "security: $django_security Django tests of the API's hardening passed (throttles on the real peer, bounded pages, login and token throttles, malformed input a 400, no framing, one answer for not yours and none, strong secret keys, per-caller idempotency keys, logout, check --deploy)"
    echo "rest api: $django_api Django tests of roles, docs and the new operations, $django_pages of keyset pages, search and filters (10,000 books walked both ways while rentals change) ($django_all Django tests in all, run with a staff token); schemathesis: $st_cases generated cases passed on $st_ops operations (no 5xx, no schema violation); $quote_page quote-page quotes in Chromium equal to the live server's /quotes/; hadolint clean"

    step "work, not time: each operation's reads beside N and 4N records it does not return (core/tests/work.rs)"
    # The suites above passed, so every test counted here passed.
    work_tests=$(awk '/^ +Running /{bin=$2} /^test .* \.\.\. ok$/ && bin ~ /tests\/work\.rs/ {n++} END {print n+0}' "$log_dir/cargo-test.log")
    plan_tests=$(awk '/^ +Running /{bin=$2} /^test .* \.\.\. ok$/ && bin ~ /tests\/postgres_plans\.rs/ {n++} END {print n+0}' "$log_dir/cargo-test.log")
    echo "work counts: $work_tests work-counting tests passed (each case's reads equal beside N and 4N left-out records, on memory, sled and PostgreSQL); $plan_tests PostgreSQL query plans name their index"

    step "the koko command (cli/tests/cli.rs: a 100,000-book import with bad rows, round trips, check on a damaged store)"
    cli_tests=$(awk '/^ +Running /{bin=$2} /^test .* \.\.\. ok$/ && bin ~ /tests\/cli\.rs/ {n++} END {print n+0}' "$log_dir/cargo-test.log")
    echo "cli: $cli_tests koko command tests passed (a 100,000-row import with its exact bad-row report, export round trips, check on a healthy and a damaged PostgreSQL store, backup → restore → the same dump, migrate sled → PostgreSQL → check → the same reports)"
    cli_safety=$(awk '/^ +Running /{bin=$2} /^test .* \.\.\. ok$/ && bin ~ /tests\/(safety|api|original)\.rs/ {n++} END {print n+0}' "$log_dir/cargo-test.log")
    echo "cli safety: $cli_safety tests passed (no command creates a misspelt store or an empty backup, init and plans, imports need a plan and aligned rows, dry runs write nothing, --update by e-mail, a held store names its process, --api backup/check/export/report through a server, import original)"

    step "events: the feed written with every change, signed webhooks and the background workers (issue 27)"
    # The suites above passed, so every test counted here passed.
    rust_events=$(awk '/^ +Running /{bin=$2} /^test .* \.\.\. ok$/ && bin ~ /tests\/(events_conformance|events_by_type)\.rs/ {n++} END {print n+0}' "$log_dir/cargo-test.log")
    crash_events=$(grep -oE '[0-9]+ events verified' "$log_dir/cargo-reliability.log" | awk '{n += $1} END {print n+0}')
    python_events=$(cd bindings-python && "$venv/bin/python" -m pytest -p no:cacheprovider --collect-only -q tests/test_events.py tests/test_postgres.py::test_a_consumer_follows_eight_writing_processes_and_sees_every_event_once_in_order | grep -c '::')
    django_count() { (cd examples/django-api && "$django_venv/bin/python" -m pytest -p no:cacheprovider --collect-only -q "$@" | grep -c '::'); }
    echo "events: $rust_events Rust feed tests (each operation's events and payloads, order, none for refused or replayed operations, 8 writers followed on PostgreSQL, the type index) on memory, sled and PostgreSQL; $crash_events events verified after SIGKILL crashes; $python_events Python (8 OS processes writing on PostgreSQL while a consumer follows) and $(django_count tests/test_events_api.py) REST feed tests passed"
    echo "webhooks: $(django_count tests/test_webhooks.py tests/test_webhooks_postgres.py) tests passed (signatures verified by a receiver on 127.0.0.1 that is down, answers 5xx and hangs, then gets every event in order; retries, the dead letter and its manual retry; two relays at once; a relay killed with SIGKILL mid-delivery)"
    echo "workers: $(django_count tests/test_workers.py tests/test_exports.py tests/test_celery.py) tests passed (export jobs and notices in the server's worker thread on sled; Celery workers and beat against Redis on PostgreSQL, nothing sent twice)"

    step "docs: the site built with its links checked; every command of its guides run, output checked (area docs)"
    grep -E '^docs: [0-9]+ commands run' "$log_dir/docs.log" | tail -n 1
}
