#!/usr/bin/env bash
# Fuzzing CI: configures build-fuzz with -DATTN_ENABLE_FUZZER=ON, builds the
# libFuzzer target attn-fuzz and its seed corpus (the lit tests), and fuzzes
# for a bounded time. Exits non-zero on a crash, a sanitizer report, a
# timeout or a wrong answer of the passes (docs/reliability.md); the input is
# then in BUILD_DIR/fuzz-artifacts/.
#
#   .ci/fuzz.sh [SECONDS] [BUILD_DIR]     (defaults: 300, build-fuzz)
#
# ATTN_FUZZ_PIPELINE=full also lowers what passes the attn passes to the LLVM
# dialect (no JIT). The corpus grown in BUILD_DIR/fuzz-corpus is reused.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-300}"
build="${2:-build-fuzz}"
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/attn-ccache}"

cmake -G Ninja -S . -B "$build" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=/usr/lib/llvm-22/bin/clang \
  -DCMAKE_CXX_COMPILER=/usr/lib/llvm-22/bin/clang++ \
  -DATTN_ENABLE_FUZZER=ON -DATTN_ENABLE_UNIT_TESTS=OFF
ninja -C "$build" -j "${ATTN_JOBS:-$(nproc)}" attn-fuzz attn-fuzz-corpus
mkdir -p "$build/fuzz-corpus" "$build/fuzz-artifacts"
"$build/bin/attn-fuzz" -max_total_time="$seconds" -timeout=10 \
  -rss_limit_mb=4096 -max_len=8192 -print_final_stats=1 \
  -dict=tools/attn-fuzz/attn.dict -artifact_prefix="$build/fuzz-artifacts/" \
  "$build/fuzz-corpus" "$build/tools/attn-fuzz/seed-corpus"
