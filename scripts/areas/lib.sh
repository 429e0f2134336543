# Shared by scripts/test and its areas: the log folder, the tool set-up, a PostgreSQL server and its replica,
# the Python wheel and venvs (each made once per run, on first need), the summary line, and the clean-up.
# shellcheck shell=bash

log_dir=$(mktemp -d)
pg_dir=""
pg_bin=""
redis_dir=""
venv=""
wheel=""
django_venv=""
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

step() { printf '\n==> %s\n' "$*"; }

# Runs a PostgreSQL tool as the postgres user when we are root (initdb refuses root), else as ourselves.
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

cleanup() {
    if [ -n "$pg_dir" ] && [ -f "$pg_dir/replica/postmaster.pid" ]; then
        as_pg "$pg_bin/pg_ctl" -D "$pg_dir/replica" -m fast -w stop >/dev/null 2>&1 || true
    fi
    if [ -n "$pg_dir" ] && [ -f "$pg_dir/data/postmaster.pid" ]; then
        as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    [ -n "$pg_dir" ] && rm -rf "$pg_dir"
    if [ -n "$redis_dir" ] && [ -f "$redis_dir/redis.pid" ]; then
        kill "$(cat "$redis_dir/redis.pid")" 2>/dev/null || true
    fi
    [ -n "$redis_dir" ] && rm -rf "$redis_dir"
    rm -rf "$log_dir"
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

toolchain() {
    step "toolchain"
    if ! command -v cargo >/dev/null; then
        echo "cargo is missing: install Rust with rustup first" >&2
        exit 1
    fi
    rustup component add rustfmt clippy >/dev/null 2>&1 || true
    rustup target add wasm32-unknown-unknown
    # Debian's Chromium drives the browser test of the quote page; PostgreSQL serves the postgres backend's tests.
    local missing=()
    command -v chromium >/dev/null || missing+=(chromium)
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
    # Redis: the Celery workers' broker in the REST API's tests (ensure_redis).
    command -v redis-server >/dev/null || missing+=(redis-server)
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "installing ${missing[*]} (apt-get)"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    chromium --version 2>/dev/null | head -n 1 || true
    node --version
    cargo --version
    rustc --version

    step "crates (cargo fetch --locked: every crate in Cargo.lock, for every platform)"
    # Without --target, cargo fetch downloads the crates of every platform in the lock file, which is what
    # `cargo deny --offline` reads (area lint); the builds would only download the host's.
    cargo fetch --locked
    echo "$(grep -c "^name = " Cargo.lock) packages in Cargo.lock, every one downloaded"
}

# A throwaway PostgreSQL server and its streaming replica on 127.0.0.1 (stopped on exit), once per run. Exports
# KOKO_TEST_POSTGRES and KOKO_TEST_POSTGRES_REPLICA, which the Rust, Python and Django tests read (koko-core's
# build script turns them into cfgs: without them the PostgreSQL tests are reported as ignored).
ensure_postgres() {
    [ -n "$pg_dir" ] && return 0
    step "postgresql: a throwaway server and its streaming replica on 127.0.0.1 (stopped on exit)"
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    pg_dir=$(mktemp -d /tmp/koko-pg.XXXXXX)
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$pg_dir"; fi
    as_pg "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres >/dev/null
    local pg_port replica_port
    pg_port=$(free_port)
    as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c max_connections=200" start >/dev/null
    export KOKO_TEST_POSTGRES="host=127.0.0.1 port=$pg_port user=postgres dbname=postgres"
    "$pg_bin/postgres" --version
    echo "listening on 127.0.0.1:$pg_port"
    # Its streaming replica (pg_basebackup -R: a hot standby), for the replica reads' tests (core/tests/replica.rs).
    replica_port=$(free_port)
    as_pg "$pg_bin/pg_basebackup" -h 127.0.0.1 -p "$pg_port" -U postgres -D "$pg_dir/replica" -R -X stream
    as_pg "$pg_bin/pg_ctl" -D "$pg_dir/replica" -l "$pg_dir/replica.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $replica_port -k $pg_dir -c max_connections=200" start >/dev/null
    export KOKO_TEST_POSTGRES_REPLICA="host=127.0.0.1 port=$replica_port user=postgres dbname=postgres"
    echo "replica listening on 127.0.0.1:$replica_port"
}

# A throwaway Redis on 127.0.0.1 (Debian's redis-server, installed by toolchain if missing; stopped on exit), once per run: the
# Celery workers' broker in the REST API's tests. Exports KOKO_TEST_REDIS.
ensure_redis() {
    [ -n "$redis_dir" ] && return 0
    step "redis: a throwaway server on 127.0.0.1 (the Celery workers' broker; stopped on exit)"
    redis_dir=$(mktemp -d /tmp/koko-redis.XXXXXX)
    local port tries=0
    port=$(free_port)
    redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --daemonize yes \
        --dir "$redis_dir" --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/redis.log"
    until [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = "PONG" ]; do
        tries=$((tries + 1))
        if [ "$tries" -gt 100 ]; then
            cat "$redis_dir/redis.log" >&2
            echo "redis did not start within 10 s" >&2
            exit 1
        fi
        sleep 0.1
    done
    export KOKO_TEST_REDIS="redis://127.0.0.1:$port/0"
    redis-server --version
    echo "listening on 127.0.0.1:$port"
}

# The Python distribution, built once (bindings-python/build-dist.sh: manylinux2014 x86_64 + aarch64 wheels, sdist),
# and a venv with the test requirements and the x86_64 wheel installed.
ensure_wheel() {
    [ -n "$wheel" ] && return 0
    step "python: the distribution once (bindings-python/build-dist.sh: manylinux2014 x86_64 + aarch64 wheels, sdist), installed in a venv"
    venv="$PWD/target/py-venv"
    python3 -m venv --clear "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r bindings-python/requirements-test.txt
    local wheel_dir="$log_dir/wheels"
    KOKO_PY_VENV="$venv" bash bindings-python/build-dist.sh "$wheel_dir"
    wheel=$(ls "$wheel_dir"/koko_bookstore-*-manylinux*_x86_64.whl)
    "$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall "$wheel"
    "$venv/bin/python" -c "import koko; print('koko', koko.__version__, 'story3 novel 2 days:', koko.PricePlan.story3().quote_days('novel', 2).total)"
}

# The REST API's venv: its test requirements and the wheel.
ensure_django() {
    [ -n "$django_venv" ] && return 0
    ensure_wheel
    step "django: the example REST API's venv (its requirements and the wheel)"
    django_venv="$PWD/target/django-venv"
    python3 -m venv --clear "$django_venv"
    "$django_venv/bin/pip" install -q --disable-pip-version-check -r examples/django-api/requirements-test.txt "$wheel"
    echo "$django_venv"
}

# Fails when the cargo test log $1 shows ignored tests: every test must run in CI (the PostgreSQL ones included).
no_ignored_tests() {
    local ignored
    ignored=$(sed -nE 's/^test result: .* ([0-9]+) ignored;.*/\1/p' "$1" | awk '{n += $1} END {print n + 0}')
    if [ "$ignored" -ne 0 ]; then
        grep -E '\.\.\. ignored' "$1" | head -n 20
        echo "$ignored tests were ignored (above): every test must run here" >&2
        exit 1
    fi
}

# The last lines: what ran, how long it took, and "summary: N passed, N failed" over every test log of this run.
summary() {
    local what=$1 seconds=$2 passed=0 failed=0 p f
    while read -r p f; do
        passed=$((passed + p))
        failed=$((failed + f))
    done < <(
        cat "$log_dir"/cargo-*.log 2>/dev/null |
            sed -nE 's/^test result: [A-Za-z]+\. ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/p'
        for log in "$log_dir/pytest.log" "$log_dir/django.log"; do
            [ -f "$log" ] && tail -n 1 "$log"
        done | sed -E 's/\x1b\[[0-9;]*m//g' |
            awk '{p=0; f=0; for (i=1;i<=NF;i++) { if ($(i+1) ~ /^passed/) p=$i; if ($(i+1) ~ /^failed/) f=$i } print p, f}'
        if [ -f "$log_dir/node.log" ]; then
            echo "$(sed -nE 's/^# pass ([0-9]+)$/\1/p' "$log_dir/node.log") $(sed -nE 's/^# fail ([0-9]+)$/\1/p' "$log_dir/node.log")"
        fi
    )
    printf '\nkoko: %s done in %ss\n' "$what" "$seconds"
    if [ "$passed" -eq 0 ] && ls "$log_dir"/cargo-*.log "$log_dir"/pytest.log "$log_dir"/django.log "$log_dir"/node.log >/dev/null 2>&1; then
        echo "no test ran" >&2
        exit 1
    fi
    echo "summary: $passed passed, $failed failed"
}
