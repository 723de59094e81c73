#!/usr/bin/env bash
# Installs the Debian packages bioauth needs to build, run and test.
# Idempotent: when everything is present it prints nothing and exits 0.
set -euo pipefail

PACKAGES=(
  build-essential pkg-config clang
  libmicrohttpd-dev libjansson-dev libssl-dev libsqlite3-dev sqlite3
  libargon2-dev libcmocka-dev libpq-dev libcurl4-openssl-dev libcbor-dev
  libgnutls28-dev libsystemd-dev mandoc
  curl jq python3 python3-pytest python3-requests python3-cryptography python3-jwt python3-yaml
)
# Extra groups, selected by arguments: "postgres" adds a server for the
# PostgreSQL backend tests, "ci" the tools of the CI-only passes (valgrind;
# chattr and setpriv for the storage-fault tests; lintian for the package;
# npm for the redocly lint of docs/openapi.yaml, from Debian only when the
# machine has no npm: Debian's npm conflicts with a Node.js installed from
# elsewhere, which already brings its own npm).
for extra in "$@"; do
  case "$extra" in
    postgres) PACKAGES+=(postgresql) ;;
    ci)
      PACKAGES+=(valgrind e2fsprogs util-linux libclang-rt-14-dev lintian)
      command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)
      ;;
    *) echo "install-deps: unknown group '$extra'" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "install-deps: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
