#!/usr/bin/env bash
# `make build` twice in a row: the second must compile nothing (part of
# `make test`). A newcomer's `make run` right after `make build` waited
# minutes while cargo re-ran nginx-sys's build script and recompiled ngx and
# fediguard (see settle_vendored_nginx_mtimes in build.rs).
#
# The second run's cargo reports every unit in JSON (--message-format=json):
# any compiler artifact that is not "fresh" fails, and so does a module
# newer than before. The first run may compile (a change since the last
# build); when it is the first build of this checkout, it is the newcomer's
# case exactly.
set -euo pipefail
cd "$(dirname "$0")/.."
make=${MAKE:-make}
lib=target/release/libfediguard.so

"$make" -s build >/dev/null
before=$(stat -c %y "$lib")
out=$("$make" -s build CARGO_BUILD_FLAGS=--message-format=json)
after=$(stat -c %y "$lib")

printf '%s\n' "$out" | python3 -c '
import json, sys
fresh, rebuilt = 0, []
for line in sys.stdin:
    if not line.startswith("{"):
        continue
    m = json.loads(line)
    if m.get("reason") != "compiler-artifact":
        continue
    if m.get("fresh"):
        fresh += 1
    else:
        rebuilt.append(m["package_id"] + " " + m["target"]["name"] + " (" + ",".join(m["target"]["kind"]) + ")")
if rebuilt:
    print("rebuild: not ok - the second make build compiled %d unit(s):" % len(rebuilt))
    for r in rebuilt:
        print("  " + r)
    print("  (CARGO_LOG=cargo::core::compiler::fingerprint=info cargo build --release -p fediguard tells why)")
    sys.exit(1)
if fresh == 0:
    print("rebuild: not ok - the second make build reported no unit at all")
    sys.exit(1)
print("rebuild: ok - the second make build compiled nothing (%d units fresh)" % fresh)
'
if [ "$before" != "$after" ]; then
  echo "rebuild: not ok - $lib changed ($before -> $after)"
  exit 1
fi
