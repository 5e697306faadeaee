#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL server:
#   scripts/with-postgres.sh swift test
# creates a cluster in a temporary directory, starts it on a free port on 127.0.0.1 (trust auth),
# runs the command with SWITCHBOARD_TEST_POSTGRES_URL set, then stops the server and removes the
# directory, whatever the command did. Exits with the command's status, or 1 with the server's log
# if the server does not start. Needs Debian's `postgresql` package (binaries in /usr/lib/postgresql/<major>/bin).
set -euo pipefail

if [ $# -eq 0 ]; then
    echo "usage: $0 <command> [arguments…]" >&2
    exit 2
fi

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    echo "with-postgres: no PostgreSQL server under /usr/lib/postgresql; install Debian's postgresql package" >&2
    exit 1
fi

# initdb and postgres refuse to run as root: as root, run them as the postgres system user.
as_server=()
if [ "$(id -u)" = 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
        echo "with-postgres: running as root needs the postgres system user (created by the postgresql package)" >&2
        exit 1
    fi
    as_server=(runuser -u postgres --)
fi

dir=$(mktemp -d /tmp/switchboard-postgres.XXXXXX)
cleanup() {
    if [ -f "$dir/data/postmaster.pid" ]; then
        "${as_server[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
[ ${#as_server[@]} -eq 0 ] || chown postgres: "$dir"

# A port nothing on 127.0.0.1 answers on.
port=$((20000 + RANDOM % 30000))
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    port=$((port + 1))
done

"${as_server[@]}" "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale --no-sync \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; echo "with-postgres: initdb failed" >&2; exit 1; }

# TCP on 127.0.0.1 only, no Unix socket; durability off, as nothing here outlives the run.
cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = ''
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
EOF

if ! "${as_server[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null; then
    cat "$dir/server.log" >&2 || true
    echo "with-postgres: the PostgreSQL server did not start" >&2
    exit 1
fi
echo "==> PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($dir)"

export SWITCHBOARD_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
status=0
"$@" || status=$?
exit "$status"
