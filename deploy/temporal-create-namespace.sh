#!/bin/sh
# One-shot: waits for the Temporal frontend, then creates the engine's namespace if it does not exist. The
# worker registers its search attributes itself on start.
set -eu
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do
  echo 'waiting for Temporal...'
  sleep 2
done
temporal operator namespace describe -n "$TEMPORAL_NAMESPACE" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 ||
  temporal operator namespace create -n "$TEMPORAL_NAMESPACE" --retention 7d --address "$TEMPORAL_ADDRESS"
echo "namespace $TEMPORAL_NAMESPACE ready"
