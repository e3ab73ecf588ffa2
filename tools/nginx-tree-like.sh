#!/usr/bin/env bash
# Configures an nginx source tree as a given nginx binary was built: the same
# version and the same configure arguments, read from that binary's
# `nginx -V` output. A module built against the tree loads into that binary
# (nginx checks the version and the module signature the arguments make).
#
#   tools/nginx-tree-like.sh NGINX_V_OUTPUT DIR
#   (e.g. `docker run --rm nginx:1.28.3 nginx -V 2> nginx-V.txt` first)
#
# The source is the nginx-src crate of Cargo.lock when its nginx is that
# version (no download), otherwise nginx.org's release tarball. Then build
# with `make build NGINX_SOURCE_DIR=DIR NGINX_BUILD_DIR=DIR/objs`.
set -euo pipefail

vfile=$(realpath "${1:?usage: $0 NGINX_V_OUTPUT DIR}")
dir=$(realpath -m "${2:?usage: $0 NGINX_V_OUTPUT DIR}")
cd "$(dirname "$0")/.."
version=$(sed -n 's|^nginx version: [a-z]*/\([0-9][0-9.]*\).*|\1|p' "$vfile")
args=$(sed -n 's/^configure arguments: //p' "$vfile")
[ -n "$version" ] || { echo "$vfile: no \"nginx version:\" line" >&2; exit 1; }

rm -rf "$dir"
mkdir -p "$dir"
# The nginx-src crate (the vendored build's source), unpacked by cargo.
crate=$(cargo metadata --format-version 1 2>/dev/null |
  grep -o '"manifest_path":"[^"]*/nginx-src-[^"]*/Cargo.toml"' | head -n1 |
  sed 's/^"manifest_path":"//; s|/Cargo.toml"$||') || true
if [ -n "$crate" ] && grep -q "define NGINX_VERSION *\"$version\"" "$crate/nginx/src/core/nginx.h" 2>/dev/null; then
  echo "nginx $version from $crate"
  cp -r "$crate/nginx/." "$dir/"
else
  url=https://nginx.org/download/nginx-$version.tar.gz
  echo "nginx $version from $url"
  curl -fsSL "$url" | tar -xz -C "$dir" --strip-components=1
fi

cd "$dir"
configure=./configure
[ -x "$configure" ] || configure=auto/configure # the crate has the repository's layout
# The arguments as nginx -V prints them: shell words, some quoted
# (--with-cc-opt='-g -O2 ...').
eval "set -- $args"
echo "configure $*"
if ! "$configure" "$@" >configure.log 2>&1; then
  tail -n 30 configure.log >&2
  exit 1
fi
