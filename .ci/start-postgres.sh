#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: installs the Debian server package when its
# binaries are missing (idempotent), runs initdb + pg_ctl as an unprivileged user on a free
# port under a temporary directory, and prints `export POQ_TEST_POSTGRES_DSN=...` on stdout.
#
#   eval "$(bash .ci/start-postgres.sh)"      # then: pytest; the cluster stops with
#   pg_ctl -D "$POQ_TEST_POSTGRES_DIR/data" stop  # (or leave it: it lives in /tmp)
set -euo pipefail

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

if [ -z "$(bindir)" ] || [ ! -x "$(bindir)/initdb" ]; then
    echo "installing PostgreSQL (apt)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
fi
BIN="$(bindir)"

# PostgreSQL refuses to run as root: use an unprivileged account.
RUN_AS=""
if [ "$(id -u)" = 0 ]; then
    id poqtest >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin poqtest
    RUN_AS="poqtest"
fi
as_user() { if [ -n "$RUN_AS" ]; then runuser -u "$RUN_AS" -- "$@"; else "$@"; fi; }

DIR="$(mktemp -d /tmp/poq-pg.XXXXXX)"
chmod 755 "$DIR"
[ -n "$RUN_AS" ] && chown "$RUN_AS" "$DIR"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
PASSWORD="$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
printf '%s\n' "$PASSWORD" > "$DIR/pw"
[ -n "$RUN_AS" ] && chown "$RUN_AS" "$DIR/pw"

as_user "$BIN/initdb" -D "$DIR/data" -U poq --pwfile="$DIR/pw" -A scram-sha-256 \
    -E UTF8 --no-sync >"$DIR/initdb.log" 2>&1
rm -f "$DIR/pw"
as_user "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c max_connections=200" \
    start >&2

echo "export POQ_TEST_POSTGRES_DSN='postgresql://poq:$PASSWORD@127.0.0.1:$PORT/postgres'"
echo "export POQ_TEST_POSTGRES_DIR='$DIR'"
