#!/usr/bin/env bash
# `make run`: starts bioauthd on 127.0.0.1:8080 with its SQLite database under
# ./data/, creating a demo app on first start, prints its credentials and the
# command that runs the device demo against it, then serves until Ctrl-C.
set -euo pipefail
BUILD=${1:-build}
LISTEN=${BIOAUTH_LISTEN:-127.0.0.1:8080}
DATA=${BIOAUTH_DATA_DIR:-./data}

"$BUILD/bioauthd" --listen "$LISTEN" --data-dir "$DATA" --demo-app &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid' INT TERM

for _ in $(seq 1 100); do
  curl -fsS "http://$LISTEN/healthz" >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || { wait $pid; exit $?; }
  sleep 0.1
done

if [ -f "$DATA/demo-app.json" ]; then
  client_id=$(sed -n 's/.*"client_id": "\(.*\)".*/\1/p' "$DATA/demo-app.json")
  client_secret=$(sed -n 's/.*"client_secret": "\(.*\)".*/\1/p' "$DATA/demo-app.json")
  echo
  echo "bioauthd is serving on http://$LISTEN (Ctrl-C stops it)."
  echo "Demo app credentials: $DATA/demo-app.json"
  if [ -x "$BUILD/bioauth-device" ]; then
    echo "Run the whole biometric flow against it from another terminal:"
    echo "  $BUILD/bioauth-device demo --server http://$LISTEN --client-id $client_id --client-secret $client_secret"
  fi
  echo
fi
wait $pid
