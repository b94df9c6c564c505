#!/usr/bin/env bash
# npm run bench:temporal-postgres: the same benchmark against a production-shaped Temporal server on this
# machine's PostgreSQL (scripts/temporal-postgres.sh: built once, schema set up, 4 history shards) instead of the
# CLI dev server. Starts that server on 127.0.0.1:7233, waits until it answers, runs `npm run bench` against it
# with every `postgres` process's CPU counted, and stops the server. Extra arguments go to the bench.
set -euo pipefail
cd "$(dirname "$0")/.."
LOG=.data/temporal-postgres.log
mkdir -p .data
if (exec 3<>/dev/tcp/127.0.0.1/7233) 2>/dev/null; then
  echo "[bench:temporal-postgres] 127.0.0.1:7233 is taken: stop what runs there first (npm run dev?)" >&2
  exit 1
fi
echo "[bench:temporal-postgres] starting Temporal on PostgreSQL (log: $LOG)"
# Its own process group (setsid), so stopping it stops the build, the namespace helper and the server.
setsid scripts/temporal-postgres.sh >"$LOG" 2>&1 &
SERVER=$!
stop() { kill -TERM -- "-$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; }
trap stop EXIT
# Ready = the default namespace exists (the script creates it 15 s after the server starts).
ready=
for _ in $(seq 1 600); do
  if ! kill -0 "$SERVER" 2>/dev/null; then
    echo "[bench:temporal-postgres] the server exited; last lines of $LOG:" >&2
    tail -20 "$LOG" >&2
    exit 1
  fi
  if .tools/bin/temporal operator namespace describe --namespace default --address 127.0.0.1:7233 >/dev/null 2>&1; then
    ready=1
    break
  fi
  sleep 1
done
if [ -z "$ready" ]; then
  echo "[bench:temporal-postgres] the server did not answer within 10 minutes; see $LOG" >&2
  exit 1
fi
PID=$(pgrep -g "$SERVER" -f "$PWD/.tools/bin/temporal-server" | head -1)
TEMPORAL_ADDRESS=127.0.0.1:7233 npm run -s bench -- --temporal-pid "$PID" --postgres "$@"
