#!/usr/bin/env bash
# Installs the Debian packages fediguard needs to build, test and benchmark,
# skipping what is already there. Safe to run again.
#   tools/install-deps.sh build   - compiler, nginx build libraries, libclang
#   tools/install-deps.sh test    - build + redis-server, redis-sentinel, curl, openssl,
#                                   dnsmasq-base (a DNS server), and for the status
#                                   page's browser test Debian's chromium, a font,
#                                   Node.js and npm (playwright-core comes from npm,
#                                   pinned, installed by the test into tmp/browser)
#   tools/install-deps.sh bench   - test + wrk, valgrind
#   tools/install-deps.sh debian  - build + Debian's nginx and nginx-dev (headers,
#                                   configure flags, dh_nginx) and the tools to
#                                   build a .deb
#   tools/install-deps.sh fuzz    - build + g++ (libFuzzer, built by cargo fuzz)
#   tools/install-deps.sh sanitize - test + gcc's AddressSanitizer runtime
set -euo pipefail

# The same names on every release: Debian 12 and 13 (tested), Ubuntu 24.04
# and 26.04 (not tested here; docs/installing-debian.md). libclang for bindgen
# (nginx-sys) is libclang-dev, the release's own LLVM (14 on Debian 12, 19 on
# Debian 13), never a pinned one: libclang1-14 is on Debian 12 only.
want=(gcc make pkg-config libssl-dev zlib1g-dev libpcre2-dev libclang-dev)
case "${1:-build}" in
  build) ;;
  test)
    want+=(redis-server redis-sentinel curl openssl dnsmasq-base chromium fonts-dejavu-core)
    # Node.js and npm may come from elsewhere than Debian (NodeSource's
    # nodejs carries npm): Debian's only where there are none.
    command -v node >/dev/null || want+=(nodejs)
    command -v npm >/dev/null || want+=(npm)
    ;;
  bench) want+=(redis-server redis-sentinel curl openssl wrk valgrind dnsmasq-base) ;;
  debian) want+=(nginx nginx-dev dpkg-dev debhelper build-essential) ;;
  fuzz) want+=(g++) ;;
  sanitize) want+=(redis-server curl libasan8) ;;
  *) echo "usage: $0 [build|test|bench|debian|fuzz|sanitize]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
  echo "cargo not found: install the Rust toolchain (rustup) first" >&2
  exit 1
fi
