#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: `scripts/pg.sh start DIR` makes one in DIR (a new
# temporary directory), starts it on a free loopback port and prints its URL; `scripts/pg.sh stop
# DIR` stops it. Uses Debian's PostgreSQL 15 or later, installing it when missing and we may.
# The server refuses to run as root, so as root it runs as the `postgres` user.
set -euo pipefail

find_bin() {
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$d/postgres" ] && { echo "$d"; return; }
    done
}

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cmd="${1:?usage: pg.sh start|stop DIR}"
dir="${2:?usage: pg.sh start|stop DIR}"
bin="$(find_bin)"
if [ -z "$bin" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null \
            || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }
        bin="$(find_bin)"
    fi
    [ -n "$bin" ] || { echo "pg.sh: PostgreSQL is not installed" >&2; exit 1; }
fi

case "$cmd" in
start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U spcred --auth=trust --locale=C.UTF-8 --encoding=UTF8 >"$dir/initdb.log" 2>&1
    # Tests need no durability across a power cut; PG_DURABLE=1 (benchmarks) keeps the defaults.
    durability="-c fsync=off"
    [ "${PG_DURABLE:-}" = 1 ] && durability=""
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 $durability" start >/dev/null
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U spcred spcred
    echo "postgres://spcred@127.0.0.1:$port/spcred"
    ;;
stop)
    [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null || true
    ;;
*)
    echo "usage: pg.sh start|stop DIR" >&2
    exit 2
    ;;
esac
