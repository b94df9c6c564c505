#!/usr/bin/env bash
# A production-shaped Temporal server for benchmarks: go.temporal.io/server v1.29.1 (the version the CLI dev
# server embeds) on this machine's PostgreSQL, with 4 history shards. Builds the server and its SQL tool into
# .tools/bin once, creates the role, databases and schema if missing, then runs in the foreground on
# 127.0.0.1:7233. In another terminal:
#   TEMPORAL_ADDRESS=127.0.0.1:7233 npm run bench -- --temporal-pid "$(pgrep -f 'bin/temporal-server')"
# Needs a local PostgreSQL that lets the postgres user in over 127.0.0.1 (PGHOST/PGUSER to change that).
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=v1.29.1
BIN="$PWD/.tools/bin"
WORK="$PWD/.data/temporal-postgres"
mkdir -p "$BIN" "$WORK"
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
if [ ! -x "$BIN/temporal-server" ] || [ ! -x "$BIN/temporal-sql-tool" ]; then
  echo "Building go.temporal.io/server $VERSION (server and SQL tool): a one-time build, a few minutes..."
  staging=$(mktemp -d)
  GOBIN="$staging" go install "go.temporal.io/server/cmd/server@$VERSION" "go.temporal.io/server/cmd/tools/sql@$VERSION"
  mv "$staging/server" "$BIN/temporal-server"
  mv "$staging/sql" "$BIN/temporal-sql-tool"
  rm -rf "$staging"
fi
MODULE=$(go mod download -json "go.temporal.io/server@$VERSION" | node -pe 'JSON.parse(require("fs").readFileSync(0)).Dir')

PGHOST=${PGHOST:-127.0.0.1}
psql -U "${PGUSER:-postgres}" -h "$PGHOST" -v ON_ERROR_STOP=1 -q -c \
  "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='temporal') THEN CREATE ROLE temporal LOGIN PASSWORD 'temporal' CREATEDB; END IF; END\$\$;"
SQL=("$BIN/temporal-sql-tool" --plugin postgres12 --ep "$PGHOST" -p 5432 -u temporal --pw temporal)
for db in temporal temporal_visibility; do "${SQL[@]}" --db "$db" create-database >/dev/null 2>&1 || true; done
"${SQL[@]}" --db temporal setup-schema -v 0.0 >/dev/null 2>&1 || true
"${SQL[@]}" --db temporal update-schema -d "$MODULE/schema/postgresql/v12/temporal/versioned"
"${SQL[@]}" --db temporal_visibility setup-schema -v 0.0 >/dev/null 2>&1 || true
"${SQL[@]}" --db temporal_visibility update-schema -d "$MODULE/schema/postgresql/v12/visibility/versioned"

rm -rf "$WORK/config" && cp -r "$MODULE/config" "$WORK/config" && chmod -R u+w "$WORK/config"
( sleep 15; "$BIN/temporal" operator namespace create --namespace default --address 127.0.0.1:7233 >/dev/null 2>&1 || true ) &
cd "$WORK"  # the config names its dynamic-config file relative to here
TEMPORAL_VERSION_CHECK_DISABLED=1 exec "$BIN/temporal-server" --root "$WORK" --config config --env development-postgres12 --allow-no-auth start
