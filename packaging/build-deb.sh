#!/usr/bin/env bash
# `make deb`: the Debian package of the module that `make build-debian` built
# against Debian's nginx-dev.
#
#   packaging/build-deb.sh MODULE OUT_DIR
#
# Lays out a source tree in tmp/deb/<release>/ (packaging/debian/ as debian/,
# a changelog with Cargo.toml's workspace version, the module, nginx-conf/,
# README.md and docs/), builds the binary package there with dpkg-buildpackage (dh with
# nginx-dev's nginx sequence) and leaves
# OUT_DIR/libnginx-mod-http-fediguard_<version>+<release>_<arch>.deb.
#
# One package per release, each for that release's nginx (it depends on its
# nginx-abi-*): the version carries the release as Debian's own rebuilds do,
# <version>+deb12 on Debian 12, +deb13 on Debian 13 (+ubuntu24.04 on
# Ubuntu), so that versions sort across releases (0.1.0+deb12 < 0.1.0+deb13
# < 0.1.1+deb12) and an upgrade from 12 to 13 takes the newer release's.
# The changelog's date and commit come from DEB_DATE and DEB_REV when set
# (make deb sets them: in a debootstrap tree, git cannot see the repository).
set -euo pipefail
cd "$(dirname "$0")/.."

module=${1:?usage: $0 MODULE OUT_DIR}
out=${2:?usage: $0 MODULE OUT_DIR}
pkg=libnginx-mod-http-fediguard

[ -f "$module" ] || { echo "$module missing: run make build-debian first" >&2; exit 1; }
upstream=$(sed -n '/^\[workspace\.package\]/,/^\[/ s/^version *= *"\(.*\)"/\1/p' Cargo.toml)
[ -n "$upstream" ] || { echo "no [workspace.package] version in Cargo.toml" >&2; exit 1; }
# shellcheck disable=SC1091
. /etc/os-release
case "${ID:-}" in
  debian) release=deb${VERSION_ID:-${VERSION_CODENAME:?}} ;;
  ubuntu) release=ubuntu${VERSION_ID:?} ;;
  *) release=${ID:-linux}${VERSION_ID:-} ;;
esac
version=$upstream+$release
suite=${VERSION_CODENAME:-unstable}
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
maintainer=$(sed -n 's/^Maintainer: //p' packaging/debian/control)
# The date of the last commit, so that the same commit gives the same package.
date=${DEB_DATE:-$(git log -1 --format=%cD 2>/dev/null || date -R)}
rev=${DEB_REV:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}

stage=tmp/deb/$release
tree=$stage/$pkg-$upstream
rm -rf "$stage"
mkdir -p "$tree"
cp -r packaging/debian "$tree/debian"
cp "$module" "$tree/ngx_http_fediguard_module.so"
cp -r nginx-conf README.md docs "$tree/"
cat > "$tree/debian/changelog" <<CHANGELOG
$pkg ($version) $suite; urgency=medium

  * fediguard $upstream (commit $rev), built for ${PRETTY_NAME:-$release} against nginx-dev $(dpkg-query -W -f='${Version}' nginx-dev).

 -- $maintainer  $date
CHANGELOG

(cd "$tree" && dpkg-buildpackage --build=binary --no-sign)

deb=${pkg}_${version}_${arch}.deb
mkdir -p "$out"
rm -f "$out/${pkg}_"*.deb # an older version's: one package per directory (tests/deb/check.sh)
cp "$stage/$deb" "$out/$deb"
echo "built $out/$deb"
dpkg-deb --info "$out/$deb" | sed -n 's/^ \(Version\|Depends\):/  \1:/p'
