#!/usr/bin/env bash
# Lints docs/openapi.yaml with Redocly's recommended rules (npm package
# @redocly/cli); any error fails, warnings are printed.
#
# The CLI is installed with npm into $BUILD/redocly (once) unless `redocly`
# is on PATH. Without npm the check is skipped with a message, unless
# OPENAPI_LINT_REQUIRED=1 (CI), which makes a missing npm an error.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}

if command -v redocly >/dev/null 2>&1; then
  REDOCLY=redocly
else
  if ! command -v npm >/dev/null 2>&1; then
    if [ "${OPENAPI_LINT_REQUIRED:-0}" = 1 ]; then
      echo "openapi-lint: npm is required (apt-get install npm)" >&2
      exit 1
    fi
    echo "openapi-lint: npm not found, skipping the redocly lint of docs/openapi.yaml"
    exit 0
  fi
  REDOCLY=$BUILD/redocly/node_modules/.bin/redocly
  if [ ! -x "$REDOCLY" ]; then
    mkdir -p "$BUILD/redocly"
    npm install --silent --no-audit --no-fund --prefix "$BUILD/redocly" @redocly/cli >/dev/null
  fi
fi
"$REDOCLY" lint --extends=recommended --format=stylish docs/openapi.yaml
