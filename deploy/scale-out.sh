#!/usr/bin/env bash
# deploy/scale-out.sh: the scale-out fault run (docs/scale-out.md).
#
# On this machine only (loopback): PostgreSQL (the local server, a fresh
# database dropped afterwards), three replicas of the app, HAProxy with
# deploy/haproxy.cfg; 60 s of mixed traffic through HAProxy; SIGKILL of one
# replica at 20 s, restarted at 40 s; a rolling restart (SIGTERM each in
# turn, waiting for it to be ready); then the checks. It stops by itself
# (SCALEOUT_BUDGET, default 240 s, kills whatever is left) and exits 1 if a
# check fails. HAProxy is installed with apt-get when missing.
#
#   deploy/scale-out.sh                      # PostgreSQL at 127.0.0.1:5432, user postgres
#   PG_ADMIN_URL=postgres://u:p@127.0.0.1:5432/postgres deploy/scale-out.sh
set -euo pipefail
cd "$(dirname "$0")/.."

budget="${SCALEOUT_BUDGET:-240}"
admin_url="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
case "$admin_url" in
  *@127.0.0.1:*|*@localhost:*|*@\[::1\]:*) ;;
  *) echo "PG_ADMIN_URL must point at loopback" >&2; exit 2 ;;
esac

if ! command -v haproxy >/dev/null 2>&1; then
  echo "installing HAProxy (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq haproxy >/dev/null
fi
haproxy -v | head -1 || true

pg_ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ! pg_ready && command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "PostgreSQL is down; starting it"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
pg_ready || { echo "PostgreSQL is not reachable on 127.0.0.1:5432" >&2; exit 1; }

work="$(mktemp -d /tmp/scaleout.XXXXXX)"
db="scaleout_$$"
db_url="${admin_url%/*}/$db?sslmode=disable"
cleanup() {
  status=$?
  psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -f "$work/app" "$work/scaleout"
  if [ "$status" -eq 0 ]; then rm -rf "$work"; else echo "logs kept in $work" >&2; fi
}
trap cleanup EXIT
psql -q "$admin_url" -c "CREATE DATABASE $db" >/dev/null

echo "building the app and the run"
CGO_ENABLED=0 go build -o "$work/app" ./app
go build -o "$work/scaleout" ./deploy/scaleout

# The run stops itself; the budget is the backstop (SIGTERM, then SIGKILL).
timeout --kill-after=20 "$budget" "$work/scaleout" -app "$work/app" -database-url "$db_url" \
  -haproxy-cfg deploy/haproxy.cfg -dir "$work" "$@"
