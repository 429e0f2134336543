# about: the cluster recipe under load and faults: PostgreSQL primary + replica, Redis, 2 app servers behind HAProxy, locust
# shellcheck shell=bash
area_cluster() {
    step "cluster: PostgreSQL primary + streaming replica, Redis, 2 app servers behind HAProxy, locust; kill -9 an app server, stop the replica, restart the primary (deploy/cluster.sh quick)"
    # deploy/cluster.sh installs haproxy and redis-server when missing, runs everything on free 127.0.0.1 ports in one
    # temporary folder and stops it all on exit (its own limit: 300 s). The last line counts requests, failures per
    # fault, acknowledged rents verified in PostgreSQL, double rentals and lost acknowledged operations (both must be 0).
    if ! timeout -k 30 420 bash deploy/cluster.sh quick > "$log_dir/cluster.log" 2>&1; then
        tail -n 60 "$log_dir/cluster.log"
        echo "cluster test failed" >&2
        exit 1
    fi
    grep '^cluster: ' "$log_dir/cluster.log" | tail -n 1
}
