#!/usr/bin/env bash
# Another Debian release on this machine, to build, test and package the
# module for that release's own nginx (`make test-debian DIST=trixie` on a
# Debian 12 machine):
#
#   tools/debian-root.sh ensure DIST DIR      a DIST tree in DIR (debootstrap
#                                             from Debian's registry), made once
#                                             and kept; brought up to date when
#                                             its package lists are older than a
#                                             day (FEDIGUARD_ROOT_MAX_AGE, s)
#   tools/debian-root.sh run DIR COMMAND...   COMMAND inside DIR, in this
#                                             checkout (same path) with this
#                                             machine's Rust toolchain
#
# The tree holds what the module needs to build against the release's
# nginx-dev (gcc, libclang-dev, ...), Debian's nginx and nginx-dev, the .deb
# tools, and what tests/deb/check.sh uses (curl, python3). `ensure` also
# writes DIR.nginx, a script that runs the tree's /usr/sbin/nginx from
# outside it: the tree's own dynamic loader with the tree's libraries, so
# that the integration tests (FEDIGUARD_NGINX=DIR.nginx) run it as they run
# any nginx, with their own files under /tmp and this checkout's paths.
#
# `run` mounts nothing in this machine's mount table: it enters a mount
# namespace of its own (unshare), where it binds /proc, /dev, this checkout
# and rustup's ~/.rustup (read-only: no toolchain is downloaded) and
# ~/.cargo (the crates cargo already fetched) into the tree, then chroots.
# The namespace, and every mount in it, ends with the command, whatever way
# it ends (a failure, Ctrl-C, SIGKILL): a failed run leaves no mount behind.
set -euo pipefail

die() { echo "debian-root: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot, mount namespaces)"

# Debian's registry, as this machine's apt reaches it.
mirror() {
  local uri
  uri=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
  [ -n "$uri" ] || uri=$(awk '$1 == "deb" && $2 ~ /debian\/?$/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

# What the tree holds: to build (tools/install-deps.sh build, debian) and for
# tests/deb/check.sh.
PACKAGES=(gcc make pkg-config libssl-dev zlib1g-dev libpcre2-dev libclang-dev
  nginx nginx-dev dpkg-dev debhelper build-essential curl python3-minimal)

in_tree() { # in_tree DIR COMMAND...: a command in the tree, nothing mounted
  local dir=$1
  shift
  DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin chroot "$dir" "$@"
}

apt_in_tree() { # apt_in_tree DIR ARGS...: apt-get, quiet unless it fails
  local dir=$1 out
  shift
  if ! out=$(in_tree "$dir" apt-get -y -qq -o Dpkg::Use-Pty=0 "$@" 2>&1); then
    echo "$out" >&2
    return 1
  fi
}

ensure() {
  local dist=${1:?usage: $0 ensure DIST DIR} dir=${2:?usage: $0 ensure DIST DIR}
  local max_age=${FEDIGUARD_ROOT_MAX_AGE:-86400} stamp=$dir/.fediguard-root
  local start=$SECONDS
  if [ "$(cat "$stamp" 2>/dev/null)" != "$dist" ]; then
    command -v debootstrap >/dev/null || {
      echo "installing: debootstrap"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
    }
    local new=$dir.new
    rm -rf "$new"
    mkdir -p "$(dirname "$dir")"
    echo "debian-root: debootstrap $dist into $dir (from $(mirror))"
    if ! debootstrap --variant=minbase "$dist" "$new" "$(mirror)" >"$new.log" 2>&1; then
      tail -30 "$new.log" >&2
      die "debootstrap $dist failed (the whole log: $new.log)"
    fi
    rm -f "$new.log"
    # The release's updates and security updates (Debian's nginx comes with
    # security fixes: 1.26.3-3+deb13uN), as on an admin's machine.
    cat >"$new/etc/apt/sources.list" <<SOURCES
deb $(mirror) $dist main
deb $(mirror) $dist-updates main
deb $(mirror)-security $dist-security main
SOURCES
    # Installing nginx must not start it (no init system here; an nginx
    # on port 80 would be this machine's).
    printf '#!/bin/sh\nexit 101\n' >"$new/usr/sbin/policy-rc.d"
    chmod 755 "$new/usr/sbin/policy-rc.d"
    rm -rf "$dir"
    mv "$new" "$dir"
    touch -d @0 "$dir/var/lib/apt/lists" # brought up to date just below
  fi
  cp /etc/resolv.conf "$dir/etc/resolv.conf"
  local lists_age=$(($(date +%s) - $(stat -c %Y "$dir/var/lib/apt/lists")))
  if ((lists_age > max_age)); then
    echo "debian-root: apt-get update and upgrade in $dir"
    apt_in_tree "$dir" update
    touch "$dir/var/lib/apt/lists"
    apt_in_tree "$dir" upgrade
  fi
  local missing=()
  for p in "${PACKAGES[@]}"; do
    in_tree "$dir" dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "debian-root: installing in $dir: ${missing[*]}"
    apt_in_tree "$dir" install --no-install-recommends "${missing[@]}"
  fi
  echo "$dist" >"$stamp"
  write_nginx_runner "$dir"
  if ((SECONDS - start > 1)); then
    echo "debian-root: $dist in $dir ready in $((SECONDS - start)) s:" \
      "$("$dir.nginx" -v 2>&1 | sed 's/.*: //'), nginx-dev $(in_tree "$dir" dpkg-query -W -f='${Version}' nginx-dev)"
  fi
}

# DIR.nginx: the tree's nginx from outside the tree. Its dynamic loader and
# libraries come from the tree (Debian 13's glibc and OpenSSL 3.5, not this
# machine's); its arguments, files and network are the caller's. The module
# it loads (dlopen) resolves against the same libraries.
write_nginx_runner() {
  local dir
  dir=$(realpath "$1")
  local multiarch
  multiarch=$(in_tree "$dir" dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
  local loader
  loader=$(cd "$dir/usr/lib/$multiarch" && ls ld-linux*.so.* | head -1)
  cat >"$dir.nginx" <<RUNNER
#!/bin/sh
# Written by tools/debian-root.sh: $dir's /usr/sbin/nginx, run from outside
# the tree with the tree's loader and libraries.
exec "$dir/usr/lib/$multiarch/$loader" --library-path "$dir/usr/lib/$multiarch:$dir/usr/lib" \\
  "$dir/usr/sbin/nginx" "\$@"
RUNNER
  chmod 755 "$dir.nginx"
}

run() {
  local dir=${1:?usage: $0 run DIR COMMAND...}
  shift
  (($#)) || die "usage: $0 run DIR COMMAND..."
  [ -f "$dir/.fediguard-root" ] || die "$dir is not a tree made by '$0 ensure'"
  dir=$(realpath "$dir")
  local here cargo_home rustup_home
  here=$(pwd -P)
  cargo_home=$(realpath "${CARGO_HOME:-$HOME/.cargo}")
  rustup_home=$(realpath "${RUSTUP_HOME:-$HOME/.rustup}")
  [ -x "$cargo_home/bin/cargo" ] || die "no cargo in $cargo_home/bin (rustup's toolchain is what the tree uses)"
  # Everything below happens in a mount namespace of this command alone.
  exec unshare --mount --propagation private -- /bin/bash -euo pipefail -c '
    dir=$1 here=$2 cargo_home=$3 rustup_home=$4
    shift 4
    bind() { # bind SRC [ro]: SRC at the same path inside the tree
      mkdir -p "$dir$1"
      mount --bind "$1" "$dir$1"
      if [ "${2:-}" = ro ]; then mount -o remount,bind,ro "$dir$1"; fi
    }
    # The checkout first and without what is mounted under it: the tree is
    # in it (tmp/), and its /proc must not show up a second time there.
    bind "$here"
    bind "$cargo_home"
    bind "$rustup_home" ro
    bind /proc
    mkdir -p "$dir/dev"
    mount --rbind /dev "$dir/dev"
    exec chroot "$dir" /usr/bin/env -i \
      HOME=/root LC_ALL=C.UTF-8 TERM="${TERM:-dumb}" DEBIAN_FRONTEND=noninteractive \
      CARGO_HOME="$cargo_home" RUSTUP_HOME="$rustup_home" \
      PATH="$cargo_home/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
      /bin/sh -c "cd \"\$0\" && exec \"\$@\"" "$here" "$@"
  ' debian-root "$dir" "$here" "$cargo_home" "$rustup_home" "$@"
}

case "${1:-}" in
  ensure) shift; ensure "$@" ;;
  run) shift; run "$@" ;;
  *) echo "usage: $0 ensure DIST DIR | run DIR COMMAND..." >&2; exit 2 ;;
esac
