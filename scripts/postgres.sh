#!/usr/bin/env bash
# A real PostgreSQL server on loopback for torchscope's team-store tests (and for trying it out):
# installs Debian's postgresql when missing (as root, with apt), starts its cluster, and makes a
# role and a database `torchscope` (password `torchscope`, local only). Prints the store URL:
#   postgresql://torchscope:torchscope@127.0.0.1:5432/torchscope
# Idempotent: run it again and it only starts what is not running. scripts/setup.sh calls it.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
      || { echo "postgres.sh: could not install postgresql" >&2; exit 1; }
  else
    echo "postgres.sh: Debian's postgresql is not installed (apt-get install postgresql, as root)" >&2
    exit 1
  fi
fi
VERSION=$(pg_lsclusters -h | awk 'NR==1 {print $1}')
CLUSTER=$(pg_lsclusters -h | awk 'NR==1 {print $2}')
if [ -z "$VERSION" ]; then
  VERSION=$(ls /usr/lib/postgresql | sort -n | tail -1)
  CLUSTER=main
  pg_createcluster "$VERSION" "$CLUSTER" >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1==v && $2==c {print $4}' | grep -q online; then
  pg_ctlcluster "$VERSION" "$CLUSTER" start
fi
PORT=$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1==v && $2==c {print $3}')
for _ in $(seq 50); do
  su postgres -c "psql -p $PORT -qtAc 'SELECT 1'" >/dev/null 2>&1 && break
  sleep 0.2
done
su postgres -c "psql -p $PORT -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='torchscope'\"" | grep -q 1 \
  || su postgres -c "psql -p $PORT -qc \"CREATE ROLE torchscope LOGIN CREATEDB PASSWORD 'torchscope'\""
su postgres -c "psql -p $PORT -qtAc \"SELECT 1 FROM pg_database WHERE datname='torchscope'\"" | grep -q 1 \
  || su postgres -c "createdb -p $PORT -O torchscope torchscope"
echo "postgresql://torchscope:torchscope@127.0.0.1:$PORT/torchscope"
