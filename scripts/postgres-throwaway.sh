#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and CI: initdb in DIR, a free loopback port, one
# user `gradlab` (password `gradlab`, SCRAM over TCP), one database `gradlab_test`.
#   scripts/postgres-throwaway.sh start DIR     prints the URL (also written to DIR/url)
#   scripts/postgres-throwaway.sh restart DIR   restarts it on the same port
#   scripts/postgres-throwaway.sh stop DIR
# initdb refuses to run as root, so as root the server runs as the `postgres` user (made by
# Debian's package), else as `nobody`.
set -euo pipefail
# The server outlives this script: it must not inherit descriptors beyond 0-2 (a caller's pipes
# would never see end-of-file while the server holds them).
for fd in /proc/$$/fd/*; do
    fd=${fd##*/}
    if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
done
cmd=${1:?usage: postgres-throwaway.sh start|restart|stop DIR}
dir=${2:?usage: postgres-throwaway.sh start|restart|stop DIR}
initdb=$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1 || true)
[ -x "$initdb" ] || { echo "PostgreSQL is not installed (no initdb); on Debian: apt-get install postgresql" >&2; exit 3; }
bin=$(dirname "$(readlink -f "$initdb")")
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u "$(id -u postgres >/dev/null 2>&1 && echo postgres || echo nobody)" -- "$@"
    else
        "$@"
    fi
}
case $cmd in
start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ "$(id -u)" = 0 ] && chown "$(id -u postgres >/dev/null 2>&1 && echo postgres || echo nobody)" "$dir"
    echo gradlab > "$dir/pw" && chmod 644 "$dir/pw"
    as_owner "$bin/initdb" -D "$dir/data" -U gradlab --pwfile="$dir/pw" --auth-host=scram-sha-256 --auth-local=trust \
        --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null 2>&1 </dev/null
    as_owner "$bin/createdb" -h "$dir" -p "$port" -U gradlab gradlab_test
    echo "postgres://gradlab:gradlab@127.0.0.1:$port/gradlab_test" > "$dir/url"
    echo "$port" > "$dir/port"
    cat "$dir/url"
    ;;
restart)
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -m fast restart >/dev/null 2>&1 </dev/null
    ;;
stop)
    [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -w -m fast stop >/dev/null || true
    ;;
*)
    echo "usage: postgres-throwaway.sh start|restart|stop DIR" >&2; exit 2 ;;
esac
