#!/usr/bin/env bash
# AddressSanitizer build of nginx and the module, and the integration suite
# run against it. Any sanitizer report fails the run.
#
#   tools/sanitize.sh build        objs/sanitize/nginx and its module
#   tools/sanitize.sh test [ARGS]  the integration tests against them (ARGS go
#                                  to `cargo test -p fediguard-tests`, e.g. a
#                                  test binary: --test token), then, without
#                                  ARGS, the fault soak against them for
#                                  SANITIZE_SOAK_SECONDS (60; 0: none)
#
# How (see docs/reliability.md):
# - nginx (the vendored 1.28.3, built by nginx-sys) is compiled by gcc with
#   -fsanitize=address and NGX_DEBUG_PALLOC (every pool allocation its own
#   malloc, so that ASan sees pool overruns), and linked to gcc's ASan
#   runtime, libasan.so.8;
# - the module is compiled by nightly rustc with -Zsanitizer=address. A
#   cdylib carries no sanitizer runtime on Linux: its __asan_* calls are
#   bound, when nginx loads it, to the runtime nginx already has, so C and
#   Rust share one runtime. Rust's std comes prebuilt (no rust-src here, so
#   no -Zbuild-std): the module's code and every crate it uses are
#   instrumented, std's own code is not.
# - the tests run with ASAN_OPTIONS detect_leaks=0 (nginx frees its cycle
#   pools at exit only in part), abort_on_error=1, and log_path in a
#   directory the workers (user nobody) can write: a report becomes a file
#   there (the harness sends nginx's stderr to /dev/null), and any file
#   there fails the run.
# - that directory is made for the run under /tmp (TMPDIR), not in the
#   checkout: a checkout may be where nobody cannot enter (a clone under
#   /root, or in a directory made by mktemp -d, is 0700), and a worker that
#   cannot open its report would fail silently. The workers keep running as
#   nobody, as in every other test; the directory goes when the run ends.
set -euo pipefail
cd "$(dirname "$0")/.."

# A directory for this run that the workers can enter, under /tmp.
run_dir() {
  local d
  d=$(mktemp -d "${TMPDIR:-/tmp}/fediguard-sanitize.XXXXXX")
  chmod 755 "$d"
  echo "$d"
}

objs=objs/sanitize
target_dir=$PWD/target/sanitize
triple=$(rustc -vV | sed -n 's/^host: //p')

build() {
  tools/install-deps.sh sanitize
  if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "the sanitizer build needs a nightly toolchain (rustup toolchain install nightly)" >&2
    exit 1
  fi
  # --target: RUSTFLAGS reach the module and its crates, not build scripts.
  CARGO_TARGET_DIR=$target_dir \
    NGX_CFLAGS="-O1 -g -fsanitize=address -fno-omit-frame-pointer -DNGX_DEBUG_PALLOC=1" \
    NGX_LDFLAGS="-fsanitize=address" \
    RUSTFLAGS="-Zsanitizer=address -Cforce-frame-pointers=yes" \
    nice -n 5 cargo +nightly build --release -p fediguard --target "$triple"
  mkdir -p "$objs"
  local out=$target_dir/$triple/release
  cp "$out/libfediguard.so" "$objs/ngx_http_fediguard_module.so"
  local nginx_dir
  nginx_dir=$(cat "$out/nginx-build-dir")
  cp "$nginx_dir/nginx" "$objs/nginx"
  # The two halves really share one runtime: nginx brings it, the module
  # only calls it.
  # (grep without -q: with pipefail, -q would fail the pipe when it stops
  # reading early)
  ldd "$objs/nginx" | grep libasan >/dev/null || { echo "nginx is not linked to libasan" >&2; exit 1; }
  nm -D --undefined-only "$objs/ngx_http_fediguard_module.so" | grep __asan_init >/dev/null \
    || { echo "the module is not instrumented" >&2; exit 1; }
  local missing
  missing=$(comm -23 \
    <(nm -D --undefined-only "$objs/ngx_http_fediguard_module.so" | awk '/__asan/ {print $2}' | sort -u) \
    <(nm -D --defined-only "$(ldd "$objs/nginx" | awk '/libasan/ {print $3}')" | awk '{print $3}' | sort -u))
  if [ -n "$missing" ]; then
    echo "the module needs ASan functions nginx's runtime lacks: $missing" >&2
    exit 1
  fi
  echo "built $objs/nginx ($("$objs/nginx" -v 2>&1 | sed 's/.*: //'), ASan) and $objs/ngx_http_fediguard_module.so (ASan)"
}

# The control: the built nginx, with the module loaded and the test's
# ASAN_OPTIONS, really reports into the directory from a worker. A worker
# sent SIGSEGV is caught by ASan's signal handler, which writes a report
# (asan.<pid>) and aborts.
control() {
  local dir port pid worker
  dir=$(run_dir)
  mkdir -p "$dir/reports"
  chmod 1777 "$dir/reports"
  port=$((20000 + RANDOM % 20000))
  cat > "$dir/nginx.conf" <<CONF
load_module $PWD/$objs/ngx_http_fediguard_module.so;
worker_processes 1;
pid $dir/nginx.pid;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $dir/client_body_temp;
  proxy_temp_path $dir/proxy_temp;
  fastcgi_temp_path $dir/fastcgi_temp;
  uwsgi_temp_path $dir/uwsgi_temp;
  scgi_temp_path $dir/scgi_temp;
  fediguard_agent_deny ai;
  server { listen 127.0.0.1:$port; fediguard on; location / { empty_gif; } }
}
CONF
  ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:log_path=$dir/reports/asan" \
    "$objs/nginx" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
  local status=""
  for _ in $(seq 50); do
    status=$(curl -s -o /dev/null -w '%{http_code}' -A 'GPTBot/1.1' "http://127.0.0.1:$port/" || true)
    [ "$status" = 403 ] && break
    sleep 0.1
  done
  pid=$(cat "$dir/nginx.pid")
  worker=$(cat "/proc/$pid/task/$pid/children")
  kill -SEGV $worker
  for _ in $(seq 50); do
    compgen -G "$dir/reports/asan.*" >/dev/null && break
    sleep 0.1
  done
  kill "$pid"
  if [ "$status" != 403 ] || ! grep -q 'ERROR: AddressSanitizer: SEGV' "$dir"/reports/asan.* 2>/dev/null; then
    echo "== sanitize: control failed (status $status, no report from the worker)" >&2
    cat "$dir/error.log" >&2
    exit 1
  fi
  echo "== sanitize: control ok (the module denied GPTBot; a worker's SIGSEGV left $(basename "$dir"/reports/asan.*) in $dir/reports)"
  rm -rf "$dir"
}

test_suite() {
  control
  local reports
  reports=$(run_dir)/reports
  mkdir -p "$reports"
  chmod 1777 "$reports"
  # shellcheck disable=SC2064 # the directory of this run
  trap "rm -rf '$(dirname "$reports")'" EXIT
  local start=$SECONDS rc=0 soak_rc=skipped
  export FEDIGUARD_NGINX=$PWD/$objs/nginx
  export FEDIGUARD_MODULE=$PWD/$objs/ngx_http_fediguard_module.so
  export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:log_path=$reports/asan:detect_odr_violation=0"
  nice -n 5 cargo test -p fediguard-tests "$@" -- --test-threads=4 || rc=$?
  echo "== sanitize: tests exit $rc in $((SECONDS - start)) s"
  # The fault soak reaches what the suite does not: reloads, killed
  # workers, Redis restarts, a failing backend, under load.
  local soak_seconds=${SANITIZE_SOAK_SECONDS:-60}
  if (($# == 0 && soak_seconds > 0)); then
    cargo build --release -p fediguard-tests --bin soak
    soak_rc=0
    nice -n 5 target/release/soak --seconds "$soak_seconds" || soak_rc=$?
    ((soak_rc == 0)) || rc=$soak_rc
  fi
  local found
  found=$(find "$reports" -type f | wc -l)
  echo "== sanitize: tests and soak (exit $soak_rc) in $((SECONDS - start)) s; $found sanitizer report(s)"
  if ((found)); then
    for f in "$reports"/*; do
      echo "---- $f"
      head -60 "$f"
    done
    exit 1
  fi
  exit "$rc"
}

case "${1:-}" in
  build) build ;;
  test) shift; test_suite "$@" ;;
  *) echo "usage: $0 build | test [cargo test args]" >&2; exit 2 ;;
esac
