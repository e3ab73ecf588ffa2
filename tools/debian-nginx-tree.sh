#!/usr/bin/env bash
# Lays out a configured nginx tree to build the module against Debian's own
# nginx: nginx-dev's /usr/share/nginx/src (headers, configure, conf_flags; no
# .c files) copied to DIR and configured with Debian's flags (conf_flags), as
# Debian's nginx_mod build system does. Done again only when nginx-dev's
# version changes (a Debian update); the module then builds with
# NGINX_SOURCE_DIR=DIR NGINX_BUILD_DIR=DIR/objs.
#   tools/debian-nginx-tree.sh DIR
set -euo pipefail

dir=${1:?usage: $0 DIR}
src=/usr/share/nginx/src
want=$(dpkg-query -W -f='${Version}' nginx-dev 2>/dev/null) || {
  echo "nginx-dev is not installed (tools/install-deps.sh debian)" >&2
  exit 1
}
if [ "$(cat "$dir/.nginx-dev-version" 2>/dev/null)" = "$want" ] && [ -f "$dir/objs/ngx_auto_config.h" ]; then
  exit 0
fi

echo "configuring nginx-dev $want in $dir"
rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
cp -r "$src" "$dir"
cd "$dir"
# shellcheck disable=SC1091
. ./conf_flags
if ! ./configure "${NGX_CONF_FLAGS[@]}" >configure.log 2>&1; then
  cat configure.log >&2
  exit 1
fi
echo "$want" >.nginx-dev-version
