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
# Then attn-fuzz-npy fuzzes the .npy reader for ATTN_FUZZ_NPY_SECONDS
# (default 60; 0 skips it).
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
ninja -C "$build" -j "${ATTN_JOBS:-$(nproc)}" attn-fuzz attn-fuzz-npy \
  attn-fuzz-corpus
mkdir -p "$build/fuzz-corpus" "$build/fuzz-artifacts"
"$build/bin/attn-fuzz" -max_total_time="$seconds" -timeout=10 \
  -rss_limit_mb=4096 -max_len=8192 -print_final_stats=1 \
  -dict=tools/attn-fuzz/attn.dict -artifact_prefix="$build/fuzz-artifacts/" \
  "$build/fuzz-corpus" "$build/tools/attn-fuzz/seed-corpus"

npy_seconds="${ATTN_FUZZ_NPY_SECONDS:-60}"
if [ "$npy_seconds" != 0 ]; then
  mkdir -p "$build/fuzz-corpus-npy" "$build/npy-seeds"
  make_npy=test/Integration/CPU/Inputs/make_npy.py
  python3 "$make_npy" "$build/npy-seeds/f32.npy" 2,3 uniform:-1:1:0
  python3 "$make_npy" "$build/npy-seeds/gates.npy" 1,4,2 const:-inf
  "$build/bin/attn-fuzz-npy" -max_total_time="$npy_seconds" -timeout=5 \
    -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="$build/fuzz-artifacts/npy-" \
    "$build/fuzz-corpus-npy" "$build/npy-seeds"
fi
