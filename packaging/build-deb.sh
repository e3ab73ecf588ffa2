#!/usr/bin/env bash
# `make deb`: the Debian package of the module that `make build-debian` built
# against Debian's nginx-dev.
#
#   packaging/build-deb.sh MODULE OUT_DIR
#
# Lays out a source tree in tmp/deb/ (packaging/debian/ as debian/, a
# changelog with Cargo.toml's workspace version, the module, nginx-conf/,
# README.md and docs/), builds the binary package there with dpkg-buildpackage (dh with
# nginx-dev's nginx sequence) and leaves
# OUT_DIR/libnginx-mod-http-fediguard_<version>_<arch>.deb.
set -euo pipefail
cd "$(dirname "$0")/.."

module=${1:?usage: $0 MODULE OUT_DIR}
out=${2:?usage: $0 MODULE OUT_DIR}
pkg=libnginx-mod-http-fediguard

[ -f "$module" ] || { echo "$module missing: run make build-debian first" >&2; exit 1; }
version=$(sed -n '/^\[workspace\.package\]/,/^\[/ s/^version *= *"\(.*\)"/\1/p' Cargo.toml)
[ -n "$version" ] || { echo "no [workspace.package] version in Cargo.toml" >&2; exit 1; }
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
maintainer=$(sed -n 's/^Maintainer: //p' packaging/debian/control)
# The date of the last commit, so that the same commit gives the same package.
date=$(git log -1 --format=%cD 2>/dev/null || date -R)
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)

stage=tmp/deb
tree=$stage/$pkg-$version
rm -rf "$stage"
mkdir -p "$tree"
cp -r packaging/debian "$tree/debian"
cp "$module" "$tree/ngx_http_fediguard_module.so"
cp -r nginx-conf README.md docs "$tree/"
cat > "$tree/debian/changelog" <<CHANGELOG
$pkg ($version) unstable; urgency=medium

  * fediguard $version (commit $rev), built against nginx-dev $(dpkg-query -W -f='${Version}' nginx-dev).

 -- $maintainer  $date
CHANGELOG

(cd "$tree" && dpkg-buildpackage --build=binary --no-sign)

deb=${pkg}_${version}_${arch}.deb
mkdir -p "$out"
cp "$stage/$deb" "$out/$deb"
echo "built $out/$deb"
dpkg-deb --info "$out/$deb" | sed -n 's/^ \(Version\|Depends\):/  \1:/p'
