#!/bin/sh
# One-shot schema setup for the Temporal server in docker-compose.yml (the temporalio/server image does not
# create its own schema). Safe to run again: `create` fails on an existing database, which is ignored, and the
# schema steps only apply what is missing.
set -eu
tool() { temporal-sql-tool --plugin postgres12 --ep postgresql -p 5432 -u "$POSTGRES_USER" --pw "$POSTGRES_PWD" "$@"; }
until nc -z postgresql 5432; do echo 'waiting for PostgreSQL...'; sleep 1; done
for db in temporal temporal_visibility; do
  tool --db "$db" create || true
done
tool --db temporal setup-schema -v 0.0
tool --db temporal update-schema -d /etc/temporal/schema/postgresql/v12/temporal/versioned
tool --db temporal_visibility setup-schema -v 0.0
tool --db temporal_visibility update-schema -d /etc/temporal/schema/postgresql/v12/visibility/versioned
echo 'Temporal schema ready'
