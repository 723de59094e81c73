#!/usr/bin/env bash
# The long crash-safety and storage-fault run.
#
#   scripts/crash-test.sh [BUILD_DIR] [CYCLES]
#
# Runs test/api/test_crash_safety.py with CYCLES SIGKILL/restart cycles
# (default 25; CI runs the default 5 through `make api`) and
# test/api/test_storage_faults.py against $BUILD_DIR/bioauthd (default
# ./build; e.g. build-san for ASan+UBSan). Repeats the crash test ROUNDS
# times (env, default 1), each with a new random seed; a failing round
# prints its BIOAUTH_CRASH_SEED, and
#   BIOAUTH_CRASH_SEED=<seed> BIOAUTH_CRASH_CYCLES=<n> scripts/crash-test.sh
# replays its kill schedule and workload. Needs root for the fault tests
# (tmpfs mount, chattr +i, setpriv); without it they are skipped, with the
# reason shown.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
CYCLES=${2:-${BIOAUTH_CRASH_CYCLES:-25}}
ROUNDS=${ROUNDS:-1}
PYTHON=${PYTHON:-/usr/bin/python3}

if [ ! -x "$BUILD/bioauthd" ] || [ ! -x "$BUILD/bioauthctl" ]; then
  echo "crash-test: $BUILD/bioauthd or bioauthctl missing (make BUILD=$BUILD)" >&2
  exit 2
fi
export BIOAUTH_BUILD
BIOAUTH_BUILD=$(cd "$BUILD" && pwd)
export BIOAUTH_CRASH_CYCLES=$CYCLES

for round in $(seq 1 "$ROUNDS"); do
  echo "== crash safety, round $round/$ROUNDS: $CYCLES cycles against $BIOAUTH_BUILD/bioauthd"
  "$PYTHON" -m pytest -q -s -rs test/api/test_crash_safety.py
done
echo "== storage faults against $BIOAUTH_BUILD/bioauthd"
"$PYTHON" -m pytest -q -rs test/api/test_storage_faults.py
