#!/usr/bin/env bash
# Regenerates the committed seed corpora in tests/fuzz/corpus/<target>/ from
# tests/fuzz/make_corpus.cc (valid WALs, blocks, tables, edits, batches and
# operation programs).
set -euo pipefail
cd "$(dirname "$0")/../.."
BAZEL_OUTPUT_BASE="${BAZEL_OUTPUT_BASE:-$HOME/.cache/bazel-fuzz}"
bazel --output_base="$BAZEL_OUTPUT_BASE" build --jobs=2 //tests/fuzz:make_corpus
# bazel-bin/ in the workspace may belong to another output base: ask this one.
bin="$(bazel --output_base="$BAZEL_OUTPUT_BASE" info bazel-bin 2>/dev/null)"
rm -rf tests/fuzz/corpus
"$bin/tests/fuzz/make_corpus" tests/fuzz/corpus
find tests/fuzz/corpus -type f | sort
