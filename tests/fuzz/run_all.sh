#!/usr/bin/env bash
# Builds the libFuzzer targets (bazel --config=fuzz: ASan + UBSan + coverage) and runs each for
# SECONDS, starting from the committed seeds in tests/fuzz/corpus/<target>/.
#
# Usage: tests/fuzz/run_all.sh SECONDS [TARGET...]     (default: every target)
#
# Environment:
#   FUZZ_JOBS          fuzzers run at once (default 2)
#   FUZZ_WORK          where each target's growing corpus, log and findings go (default
#                      /tmp/kvs-fuzz); the committed corpus is only read
#   BAZEL_OUTPUT_BASE  Bazel output base (default ~/.cache/bazel-fuzz)
#
# Exits non-zero if any fuzzer finds a crash, leak, timeout or out-of-memory input (saved as
# $FUZZ_WORK/<target>/artifacts/crash-*, ...; replay one with `<fuzzer binary> <file>`), or if the
# build fails.
set -uo pipefail

ALL_TARGETS=(wal_reader block table version_edit write_batch db_ops)

if [[ $# -lt 1 || ! "$1" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 SECONDS [TARGET...]   targets: ${ALL_TARGETS[*]}" >&2
  exit 2
fi
seconds="$1"
shift
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=("${ALL_TARGETS[@]}")

cd "$(dirname "$0")/../.."
jobs="${FUZZ_JOBS:-2}"
work="${FUZZ_WORK:-/tmp/kvs-fuzz}"
output_base="${BAZEL_OUTPUT_BASE:-$HOME/.cache/bazel-fuzz}"
bazel_cmd=(bazel --output_base="$output_base")

labels=()
for t in "${targets[@]}"; do labels+=("//tests/fuzz:${t}_fuzzer"); done
"${bazel_cmd[@]}" build --config=fuzz --jobs=2 "${labels[@]}" || exit 1
# The workspace's bazel-bin link may belong to another output base or config: ask Bazel.
bin="$("${bazel_cmd[@]}" info --config=fuzz bazel-bin 2>/dev/null)/tests/fuzz"

run_one() {
  local t="$1"
  local dir="$work/$t"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  # New inputs go to the first corpus directory (ours); the committed seeds are read only.
  "$bin/${t}_fuzzer" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$dir/artifacts/" \
    "$dir/corpus" "tests/fuzz/corpus/$t" >"$dir/log" 2>&1
  echo $? >"$dir/rc"
}

for t in "${targets[@]}"; do
  rm -f "$work/$t/rc"
  while [[ $(jobs -rp | wc -l) -ge $jobs ]]; do wait -n; done
  echo "fuzzing $t for ${seconds}s"
  run_one "$t" &
done
wait

failed=0
printf '%-14s %6s %12s %8s %8s  %s\n' target exit execs cov corpus findings
for t in "${targets[@]}"; do
  dir="$work/$t"
  rc="$(cat "$dir/rc" 2>/dev/null || echo missing)"
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)"
  cov="$(grep -o 'cov: [0-9]*' "$dir/log" | tail -1 | cut -d' ' -f2)"
  corpus="$(find "$dir/corpus" -type f | wc -l)"
  findings="$(find "$dir/artifacts" -type f | wc -l)"
  printf '%-14s %6s %12s %8s %8s  %s\n' "$t" "$rc" "${execs:-?}" "${cov:-?}" "$corpus" "$findings"
  if [[ "$rc" != 0 || "$findings" != 0 ]]; then
    failed=1
    echo "  $t: see $dir/log and $dir/artifacts/" >&2
  fi
done
exit "$failed"
