#!/usr/bin/env bash
# Runs every fuzz target of fuzz/ (cargo fuzz, nightly, AddressSanitizer)
# for FUZZ_SECONDS each, one after the other, on the seeds in
# fuzz/corpus/<target>/ plus what earlier runs found (tmp/fuzz/corpus/,
# outside the repository). Prints each target's executions and coverage
# (libFuzzer's last `#N ... cov: ft:` line) and fails if any target
# crashed; a crash leaves its input in fuzz/artifacts/<target>/.
#
#   tools/fuzz.sh [target ...]      FUZZ_SECONDS=60 by default
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
work=tmp/fuzz
mkdir -p "$work/logs" "$work/corpus"

if ! command -v cargo-fuzz >/dev/null; then
  cargo install cargo-fuzz --version 0.13.2 --locked
fi
if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "cargo fuzz needs a nightly toolchain (rustup toolchain install nightly)" >&2
  exit 1
fi

targets=("$@")
if ((${#targets[@]} == 0)); then
  mapfile -t targets < <(cargo +nightly fuzz list --fuzz-dir fuzz)
fi

echo "== fuzz: building ${#targets[@]} targets"
nice -n 5 cargo +nightly fuzz build --fuzz-dir fuzz || exit 1

failed=()
summary="$work/summary.txt"
printf '%-16s %12s %8s %8s %8s  %s\n' target executions exec/s cov ft result > "$summary"
for t in "${targets[@]}"; do
  mkdir -p "$work/corpus/$t"
  log="$work/logs/$t.log"
  echo "== fuzz: $t for ${seconds} s"
  # The first corpus directory receives what libFuzzer finds; the seeds
  # in the repository are only read.
  nice -n 5 cargo +nightly fuzz run --fuzz-dir fuzz "$t" "$work/corpus/$t" "fuzz/corpus/$t" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    > "$log" 2>&1
  rc=$?
  last=$(grep -E '^#[0-9]+' "$log" | grep -E 'cov: [0-9]+' | tail -1)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  if ((rc == 0)); then
    result=ok
  else
    result="FAILED (exit $rc, see $log)"
    failed+=("$t")
    grep -E 'panicked at|ERROR: AddressSanitizer|ERROR: libFuzzer|SUMMARY|Test unit written' "$log" | head -8
  fi
  printf '%-16s %12s %8s %8s %8s  %s\n' "$t" "${execs:-?}" "${speed:-?}" "${cov:-?}" "${ft:-?}" "$result" \
    | tee -a "$summary"
  echo "   last: $last"
done

echo "== fuzz: ${#targets[@]} targets, ${seconds} s each"
cat "$summary"
if ((${#failed[@]})); then
  echo "== fuzz: FAILED: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
