#!/bin/sh
# The official postgres image's interface, as far as this project uses it: POSTGRES_USER,
# POSTGRES_PASSWORD and POSTGRES_DB make the cluster on the first start, and the *.sql files of
# /docker-entrypoint-initdb.d run once, then. Password logins only (scram-sha-256).
set -eu
POSTGRES_USER=${POSTGRES_USER:-postgres}
POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    : "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
    password_file=$(mktemp)
    printf '%s' "$POSTGRES_PASSWORD" > "$password_file"
    initdb --username="$POSTGRES_USER" --pwfile="$password_file" --auth=scram-sha-256 \
        --encoding=UTF8 -D "$PGDATA" >/dev/null
    rm -f "$password_file"
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
    export PGPASSWORD="$POSTGRES_PASSWORD" PGUSER="$POSTGRES_USER" PGHOST=/var/run/postgresql
    if [ "$POSTGRES_DB" != "$POSTGRES_USER" ]; then
        createdb "$POSTGRES_DB"
    fi
    for script in /docker-entrypoint-initdb.d/*.sql; do
        [ -e "$script" ] && psql -q -v ON_ERROR_STOP=1 -d "$POSTGRES_DB" -f "$script"
    done
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    unset PGPASSWORD
fi
exec postgres -D "$PGDATA" -c listen_addresses='*'
