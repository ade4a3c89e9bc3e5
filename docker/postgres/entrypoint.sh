#!/bin/sh
# Starts PostgreSQL as the postgres user, first making a cluster in $PGDATA when it has none:
# superuser $POSTGRES_USER with password $POSTGRES_PASSWORD, and the database $POSTGRES_DB.
# Password logins (scram-sha-256) from any address; trust only over the container's own socket.
set -eu

PGDATA=${PGDATA:-/var/lib/postgresql/data}
export PGDATA
# Options alone (`-c max_connections=200`) are the server's, as with the official image.
case "${1:-}" in -*) set -- postgres "$@" ;; esac

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /run/postgresql
  chown postgres:postgres "$PGDATA" /run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

# Anything other than the server (a shell, psql) runs as given.
if [ "${1:-postgres}" != postgres ]; then exec "$@"; fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo 'berth-postgres: POSTGRES_PASSWORD is empty; set it to make the cluster.' >&2
    exit 1
  fi
  user=${POSTGRES_USER:-postgres}
  db=${POSTGRES_DB:-$user}
  pwfile=$(mktemp)
  trap 'rm -f "$pwfile"' EXIT
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb --username="$user" --pwfile="$pwfile" --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo 'host all all all scram-sha-256' >>"$PGDATA/pg_hba.conf"
  if [ "$db" != postgres ]; then
    # On the unix socket only, so that nothing outside sees a half-made server as ready.
    pg_ctl -w -o "-c listen_addresses=''" start >/dev/null
    # psql's :"db" quotes the name as an identifier.
    echo 'CREATE DATABASE :"db";' | psql -X -q -v ON_ERROR_STOP=1 --username="$user" --dbname=postgres -v db="$db"
    pg_ctl -w -m fast stop >/dev/null
  fi
  echo "berth-postgres: made a cluster with superuser $user and database $db"
fi

exec "$@" -c listen_addresses='*'
