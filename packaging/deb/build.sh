#!/usr/bin/env bash
# Builds BUILD/bioauth_<version>_<arch>.deb with dpkg-deb from an already
# built tree (make all): the programs, their man pages, the systemd unit,
# /etc/bioauth/bioauthd.conf (a conffile) and maintainer scripts that create
# the bioauth system user and /var/lib/bioauth. Depends come from
# dpkg-shlibdeps. Usage: packaging/deb/build.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=$(realpath "${1:-build}")
VERSION=$(sed -n 's/^Version: //p' sdk/bioauth-device.pc.in)
ARCH=$(dpkg --print-architecture)
PKG="$BUILD/deb/bioauth"
DEB="$BUILD/bioauth_${VERSION}_${ARCH}.deb"
# No maintainer address is published; packagers set theirs here (lintian
# flags the placeholder's host: docs/OPERATIONS.md, "Debian package").
MAINTAINER=${BIOAUTH_DEB_MAINTAINER:-bioauth maintainers <bioauth@localhost>}

rm -rf "$PKG"
install -d "$PKG/DEBIAN" "$PKG/usr/bin" "$PKG/usr/share/man/man8" \
           "$PKG/usr/share/man/man1" "$PKG/lib/systemd/system" \
           "$PKG/etc/bioauth" "$PKG/usr/share/doc/bioauth"
for p in bioauthd bioauthctl bioauth-device; do
  install -m 0755 "$BUILD/$p" "$PKG/usr/bin/$p"
  strip --strip-unneeded --remove-section=.comment --remove-section=.note "$PKG/usr/bin/$p"
done
for m in "$BUILD/man/bioauthd.8" "$BUILD/man/bioauthctl.8"; do
  gzip -9n < "$m" > "$PKG/usr/share/man/man8/$(basename "$m").gz"
done
gzip -9n < docs/man/bioauth-device.1 > "$PKG/usr/share/man/man1/bioauth-device.1.gz"
install -m 0644 packaging/systemd/bioauthd.service "$PKG/lib/systemd/system/"
install -m 0644 packaging/deb/bioauthd.conf "$PKG/etc/bioauth/bioauthd.conf"
install -m 0644 packaging/deb/copyright "$PKG/usr/share/doc/bioauth/copyright"
printf 'bioauth (%s) unstable; urgency=medium\n\n  * Package of the bioauth tree.\n\n -- %s  %s\n' \
  "$VERSION" "$MAINTAINER" "$(date -R -d @"${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")" |
  gzip -9n > "$PKG/usr/share/doc/bioauth/changelog.gz"
for s in postinst prerm postrm; do
  install -m 0755 "packaging/deb/$s" "$PKG/DEBIAN/$s"
done
echo /etc/bioauth/bioauthd.conf > "$PKG/DEBIAN/conffiles"

# Shared-library dependencies, as dh_shlibdeps finds them.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/debian"
printf 'Source: bioauth\n\nPackage: bioauth\nArchitecture: any\n' > "$tmp/debian/control"
shlibs=$(cd "$tmp" && dpkg-shlibdeps -O "$PKG/usr/bin/bioauthd" "$PKG/usr/bin/bioauthctl" \
           "$PKG/usr/bin/bioauth-device" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
size=$(du -sk --exclude=DEBIAN "$PKG" | cut -f1)
cat > "$PKG/DEBIAN/control" <<CONTROL
Package: bioauth
Version: $VERSION
Architecture: $ARCH
Maintainer: $MAINTAINER
Installed-Size: $size
Depends: $shlibs, adduser, init-system-helpers (>= 1.52)
Section: net
Priority: optional
Description: self-hosted biometric login server
 bioauthd serves the Mobile Biometrics API (device key registration and
 signature login), users, passwords, OAuth 2.0 tokens and OpenID Connect
 discovery, with SQLite or PostgreSQL storage. bioauthctl administers its
 database (apps, users, signing keys, backups); bioauth-device plays a
 phone's biometric key on the command line.
CONTROL
(cd "$PKG" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z |
  xargs -0 md5sum > DEBIAN/md5sums)
chmod 0644 "$PKG/DEBIAN/control" "$PKG/DEBIAN/conffiles" "$PKG/DEBIAN/md5sums"
dpkg-deb --root-owner-group -Zxz --build "$PKG" "$DEB" >/dev/null
echo "$DEB"
