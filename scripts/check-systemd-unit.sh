#!/usr/bin/env bash
# Checks packaging/systemd/bioauthd.service: `systemd-analyze verify` clean
# and `systemd-analyze security` exposure at most 2.0. The unit's
# ExecStart= is pointed at the built binary (verify wants it to exist).
# Skips with a message where systemd-analyze is missing.
# Usage: scripts/check-systemd-unit.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=$(realpath "${1:-build}")
MAX_EXPOSURE=2.0

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "check-systemd-unit: systemd-analyze not available; skipped"
  exit 0
fi
[ -x "$BUILD/bioauthd" ] || { echo "check-systemd-unit: $BUILD/bioauthd not built" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s|/usr/bin/bioauthd|$BUILD/bioauthd|" packaging/systemd/bioauthd.service > "$tmp/bioauthd.service"

# man pages are checked by test/api/test_service.py (mandoc -T lint).
out=$(systemd-analyze verify --man=no "$tmp/bioauthd.service" 2>&1) || {
  echo "$out" >&2; echo "check-systemd-unit: verify failed" >&2; exit 1; }
if [ -n "$out" ]; then
  echo "$out" >&2; echo "check-systemd-unit: verify is not clean" >&2; exit 1
fi
level=$(systemd-analyze security --offline=true "$tmp/bioauthd.service" 2>&1 |
        sed -n 's/.*Overall exposure level for bioauthd.service: \([0-9.]*\).*/\1/p')
[ -n "$level" ] || { echo "check-systemd-unit: no exposure level" >&2; exit 1; }
if awk -v l="$level" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(l > m) }'; then
  echo "check-systemd-unit: exposure $level > $MAX_EXPOSURE" >&2
  exit 1
fi
echo "check-systemd-unit: verify clean, exposure $level (max $MAX_EXPOSURE)"
