#!/usr/bin/env bash
# A local production-shaped Koko cluster on 127.0.0.1, from one script: PostgreSQL primary + streaming replica,
# Redis, N gunicorn app servers of examples/django-api, HAProxy in front, locust as the customers, faults under load
# and a check of PostgreSQL after each (deploy/cluster.py, deploy/cluster_servers.py, deploy/locustfile.py, deploy/verify.py; SCALING.md).
#
#   bash deploy/cluster.sh quick                 the short test scripts/test runs: every fault, one summary line
#   bash deploy/cluster.sh full --out FILE       SCALING.md's tables (about 12 minutes)
#   bash deploy/cluster.sh up [--servers N]      start it all and wait for Ctrl-C
#
# Environment: KOKO_CLUSTER_PYTHON (default target/django-venv/bin/python: Django, gunicorn and the koko wheel, as
# scripts/test installs them; deploy/requirements.txt is added to it), KOKO_CLUSTER_TIMEOUT (seconds; default 300
# for quick, 1500 for full; the whole run is killed after it). Everything binds 127.0.0.1 on free ports, lives in
# one temporary folder, and is stopped on exit, whatever happened (the trap below); KOKO_CLUSTER_KEEP=1 keeps the
# folder (logs, events, acknowledgements) for a look afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
command=${1:-quick}
python=${KOKO_CLUSTER_PYTHON:-$PWD/target/django-venv/bin/python}
case "$command" in
    quick) limit=${KOKO_CLUSTER_TIMEOUT:-300} ;;
    full) limit=${KOKO_CLUSTER_TIMEOUT:-1500} ;;
    up) limit=${KOKO_CLUSTER_TIMEOUT:-86400} ;;
    *) echo "usage: $0 quick|full|up [options]" >&2; exit 2 ;;
esac
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

# Debian's HAProxy and Redis (PostgreSQL comes with scripts/test's toolchain step).
missing=()
command -v haproxy >/dev/null || missing+=(haproxy)
command -v redis-server >/dev/null || missing+=(redis-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing ${missing[*]} (apt-get)"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ ! -x "$python" ]; then
    echo "$python is missing: scripts/test's django step makes target/django-venv (or set KOKO_CLUSTER_PYTHON)" >&2
    exit 1
fi
"$python" -m pip install -q --disable-pip-version-check -r deploy/requirements.txt

work=$(mktemp -d /tmp/koko-cluster.XXXXXX)
chmod 755 "$work"
if [ "$(id -u)" -eq 0 ]; then chown postgres "$work"; fi
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
orchestrator=""
cleanup() {
    status=$?
    trap - EXIT INT TERM
    # cluster.py stops everything itself; this catches what a killed or timed-out run left behind.
    if [ -n "$orchestrator" ] && kill -TERM "$orchestrator" 2>/dev/null; then
        for _ in $(seq 60); do kill -0 "$orchestrator" 2>/dev/null || break; sleep 1; done
    fi
    if [ -f "$work/pids" ]; then
        while read -r pid; do kill -KILL -- "-$pid" 2>/dev/null || true; done < "$work/pids"
    fi
    for data in replica primary; do
        if [ -f "$work/$data/postmaster.pid" ]; then
            as_pg "$pg_bin/pg_ctl" -D "$work/$data" -m immediate -w stop >/dev/null 2>&1 || true
        fi
    done
    if [ "$status" -ne 0 ] && [ "$status" -ne 130 ] && [ "$status" -ne 143 ]; then  # failed, not stopped
        for f in "$work"/app*.log "$work"/haproxy.log "$work"/locust.log "$work"/primary.log; do
            [ -f "$f" ] && { echo "--- last lines of $(basename "$f")"; tail -n 15 "$f"; } >&2
        done
    fi
    if [ -n "${KOKO_CLUSTER_KEEP:-}" ]; then echo "cluster: kept $work" >&2; else rm -rf "$work"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

shift || true
timeout -k 20 "$limit" "$python" -u deploy/cluster.py "$command" --work "$work" "$@" &
orchestrator=$!
wait "$orchestrator"
