#!/usr/bin/env bash
# The Debian package on Debian's own nginx, as an admin would use it:
#   tests/deb/check.sh [DIR]     (DIR holds libnginx-mod-http-fediguard_*.deb;
#                                 objs-debian by default, as `make deb` leaves it)
#
# Installs the package (its postinst enables the module), runs nginx -t with
# Debian's stock /etc/nginx/nginx.conf plus a conf.d server on a free loopback port
# that denies AI crawlers, starts /usr/sbin/nginx, checks that GPTBot gets 403
# and a browser 200, then removes and purges the package and checks that the
# module is no longer enabled and that nginx still passes -t and starts.
#
# Needs root (it installs packages and starts the machine's nginx). Safe to
# run again: it first purges a package and stops an nginx left by an earlier
# run; it leaves nginx stopped, the package purged and its test files removed.
set -euo pipefail
cd "$(dirname "$0")/../.."

dir=${1:-objs-debian}
pkg=libnginx-mod-http-fediguard
# A free loopback port: another nginx (a test, a developer's) may hold any
# fixed one.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
nginx=/usr/sbin/nginx
pidfile=/run/nginx.pid
conf=/etc/nginx/conf.d/fediguard-deb-check.conf
enabled=/etc/nginx/modules-enabled/50-mod-http-fediguard.conf
available=/usr/share/nginx/modules-available/mod-http-fediguard.conf
module=/usr/lib/nginx/modules/ngx_http_fediguard_module.so
browser='Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0'

if [ "$(id -u)" -ne 0 ]; then
  echo "tests/deb/check.sh installs packages and starts nginx: run it as root" >&2
  exit 1
fi
debs=("$dir/${pkg}"_*.deb)
[ -f "${debs[0]}" ] || { echo "no $dir/${pkg}_*.deb: run make deb first" >&2; exit 1; }
[ ${#debs[@]} -eq 1 ] || { echo "more than one package in $dir: ${debs[*]}" >&2; exit 1; }
deb=$(realpath "${debs[0]}")

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
fail() {
  failed=$((failed + 1))
  echo "not ok - $*"
  echo "deb: $passed passed, $failed failed"
  exit 1
}
check() { # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@"; then ok "$what"; else fail "$what"; fi
}

export DEBIAN_FRONTEND=noninteractive
# apt-get, its output shown only when it fails.
apt_quiet() {
  local out
  if ! out=$(apt-get "$@" -y -qq -o Dpkg::Use-Pty=0 2>&1); then
    echo "$out" >&2
    return 1
  fi
}

running() { [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null; }

# Polls until `cond` holds, for at most 20 s.
wait_for() {
  local deadline=$((SECONDS + 20))
  until "$@"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.05
  done
}

stop_nginx() {
  running || return 0
  "$nginx" -s quit 2>/dev/null # its "signal process started" notice
  wait_for eval '! running'
}

# The HTTP status of a GET of URL with agent AGENT ("000" when no answer).
status() { curl -s -o /dev/null -w '%{http_code}' -A "$2" --max-time 5 "$1" || true; }

answers() { [ "$(status "http://127.0.0.1:$1/" "$browser")" != 000 ]; }

start_nginx() {
  "$nginx" || return 1
  # The stock server (port 80) and, while installed, ours: ready when a
  # worker answers.
  wait_for answers 80 || return 1
  if [ -f "$conf" ]; then wait_for answers "$port" || return 1; fi
}

www=""
cleanup() {
  stop_nginx || true
  rm -f "$conf"
  [ -z "$www" ] || rm -rf "$www"
  if [ "$failed" -ne 0 ] && dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q installed; then
    apt_quiet purge "$pkg" || true
  fi
}
trap cleanup EXIT

# A clean start: what an earlier run may have left.
stop_nginx
rm -f "$conf"
if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -qv not-installed; then
  apt_quiet purge "$pkg"
fi

echo "# installing $deb into $($nginx -v 2>&1 | sed 's/.*: //')"
apt_quiet install --no-install-recommends "$deb"
installed() { dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; }
check "the package is installed" installed
check "the module is in /usr/lib/nginx/modules" test -f "$module"
check "its load_module line is in modules-available" \
  grep -qx 'load_module modules/ngx_http_fediguard_module.so;' "$available"
check "postinst enabled it: $enabled -> $available" \
  test "$(readlink "$enabled")" = "$available"
check "the examples are installed" \
  test -f /usr/share/doc/$pkg/examples/website.conf

# A server that denies AI crawlers, in front of a static file.
www=$(mktemp -d /tmp/fediguard-deb-check.XXXXXX)
chmod 755 "$www"
echo "fediguard deb check" >"$www/index.html"
chmod 644 "$www/index.html"
cat >"$conf" <<CONF
# tests/deb/check.sh (removed when it ends)
server {
    listen 127.0.0.1:$port;
    server_name fediguard-deb-check;
    root $www;
    error_log $www/error.log warn;   # the stock one logs from "error" on
    location / {
        fediguard on;
        fediguard_agent_deny ai;
    }
}
CONF

check "nginx -t: the stock nginx.conf with the module and a fediguard server" "$nginx" -t -q
check "nginx starts" start_nginx
check "GPTBot is denied (403)" test "$(status "http://127.0.0.1:$port/" 'GPTBot/1.1')" = 403
check "a browser is served (200)" test "$(status "http://127.0.0.1:$port/" "$browser")" = 200
check "the body is the static file" \
  test "$(curl -s -A "$browser" "http://127.0.0.1:$port/")" = "fediguard deb check"
check "the denial is in nginx's error log" \
  grep -q 'fediguard: deny reason=agent-denied agent_class=ai agent="GPTBot/1.1"' "$www/error.log"
check "nginx stops" stop_nginx

# The fediguard directives go with the package; the admin's server goes first.
rm -f "$conf"
apt_quiet remove "$pkg"
check "remove: the module is gone" test ! -e "$module"
check "remove: the module is no longer enabled" test ! -e "$enabled"
check "remove: nginx -t passes" "$nginx" -t -q
check "remove: nginx starts" start_nginx
check "remove: nginx stops" stop_nginx

apt_quiet purge "$pkg"
check "purge: the package is gone" test -z "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -v not-installed)"
check "purge: no symlink is left in modules-enabled" \
  test -z "$(find /etc/nginx/modules-enabled -name '*mod-http-fediguard*')"
check "purge: nginx -t passes" "$nginx" -t -q
check "purge: nginx starts" start_nginx
check "purge: nginx stops" stop_nginx

echo "deb: $passed passed, $failed failed"
