#!/usr/bin/env bash
# Starts Debian's PostgreSQL on loopback (installed by .ci/run) and prints a URL for the store
# tests; prints nothing when there is no PostgreSQL here. Idempotent.
set -u
command -v pg_lsclusters >/dev/null 2>&1 || exit 0
cluster=$(pg_lsclusters --no-header 2>/dev/null | awk 'NR==1 {print $1" "$2}')
if [ -z "$cluster" ]; then
  version=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)
  [ -n "$version" ] || exit 0
  pg_createcluster "$version" main >/dev/null 2>&1 || exit 0
  cluster="$version main"
fi
set -- $cluster
pg_ctlcluster "$1" "$2" start >/dev/null 2>&1 || true
port=$(pg_lsclusters --no-header | awk -v v="$1" -v c="$2" '$1==v && $2==c {print $3}')
for _ in $(seq 1 50); do
  runuser -u postgres -- psql -p "$port" -h 127.0.0.1 -qAtc 'select 1' >/dev/null 2>&1 && break
  runuser -u postgres -- psql -p "$port" -qAtc 'select 1' >/dev/null 2>&1 && break
  sleep 0.2
done
psql_admin() { runuser -u postgres -- psql -p "$port" -qAt "$@"; }
psql_admin -c "select 1 from pg_roles where rolname = 'tokenbench'" | grep -q 1 \
  || psql_admin -c "create role tokenbench login password 'tokenbench'" >/dev/null || exit 0
psql_admin -c "select 1 from pg_database where datname = 'tokenbench_test'" | grep -q 1 \
  || psql_admin -c "create database tokenbench_test owner tokenbench" >/dev/null || exit 0
echo "postgres://tokenbench:tokenbench@127.0.0.1:${port}/tokenbench_test"
