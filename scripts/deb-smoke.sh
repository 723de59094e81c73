#!/usr/bin/env bash
# CI: installs BUILD/bioauth_*.deb on this machine (root), checks the
# installed configuration, runs the installed bioauthd as the bioauth user
# and gets a client token from it, then purges the package.
# Usage: scripts/deb-smoke.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=$(realpath "${1:-build}")
DEB=$(ls "$BUILD"/bioauth_*.deb | head -n1)
PORT=${BIOAUTH_SMOKE_PORT:-18481}
CONF=/etc/bioauth/bioauthd.conf
[ "$(id -u)" -eq 0 ] || { echo "deb-smoke: needs root (it installs a package)" >&2; exit 1; }

apt-get install -y -qq "$DEB" >/dev/null
pid=""
cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" || true
  dpkg -P bioauth >/dev/null 2>&1 || true
  rm -rf /var/lib/bioauth
}
trap cleanup EXIT

test "$(stat -c '%U %a' /var/lib/bioauth)" = "bioauth 700"
test "$(stat -c '%U %G %a' $CONF)" = "root bioauth 640"
man -w bioauthd bioauthctl >/dev/null
/usr/bin/bioauthd --config $CONF --check-config
as_bioauth() { setpriv --reuid bioauth --regid bioauth --init-groups -- "$@"; }

# setpriv itself, not the as_bioauth function, goes to the background: $!
# is then bioauthd (setpriv execs it), not a subshell whose death would
# leave the server running after this script.
setpriv --reuid bioauth --regid bioauth --init-groups -- \
  /usr/bin/bioauthd --config $CONF --listen 127.0.0.1:$PORT 2>"$BUILD/deb-smoke.log" &
pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
app=$(as_bioauth /usr/bin/bioauthctl --config $CONF app create --name smoke --resource https://api.example.test)
id=$(printf '%s' "$app" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["client_id"])')
secret=$(printf '%s' "$app" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])')
token=$(curl -fsS -u "$id:$secret" -d grant_type=client_credentials \
        "http://127.0.0.1:$PORT/oidc/token" |
        /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
[ "$(printf '%s' "$token" | tr -cd . | wc -c)" -eq 2 ]
test "$(stat -c '%U' /var/lib/bioauth/bioauth.db)" = "bioauth"
echo "deb-smoke: installed package serves tokens (bioauth $(dpkg-query -W -f='${Version}' bioauth))"
