#!/usr/bin/env bash
# Sanitizer CI: configures build-asan with -DATTN_ENABLE_SANITIZERS=ON
# (AddressSanitizer + UndefinedBehaviorSanitizer on attn's own code, UBSan
# not recoverable), builds it and runs the whole lit suite under it. See
# docs/reliability.md. Prints the time of each step.
#
#   .ci/sanitizers.sh [BUILD_DIR]      (default: build-asan)
#
# Needs what tools/install-deps.sh installs (clang-22, MLIR 22, ninja, lit).
# ATTN_JOBS sets the build parallelism (default: the number of cores).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build-asan}"
jobs="${ATTN_JOBS:-$(nproc)}"
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/attn-ccache}"
t0=$(date +%s)

cmake -G Ninja -S . -B "$build" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=/usr/lib/llvm-22/bin/clang \
  -DCMAKE_CXX_COMPILER=/usr/lib/llvm-22/bin/clang++ \
  -DATTN_ENABLE_SANITIZERS=ON
t1=$(date +%s)
ninja -C "$build" -j "$jobs"
t2=$(date +%s)

# test/lit.cfg.py points LeakSanitizer at test/asan/lsan.supp; the tools
# carry their ASan/UBSan defaults (tools/SanitizerDefaults.cpp).
log=$(mktemp)
status=0
ninja -C "$build" -j "$jobs" check-attn 2>&1 | tee "$log" || status=$?
t3=$(date +%s)

passed=$(sed -n 's/^ *Passed *: *\([0-9]*\).*/\1/p' "$log" | tail -1)
failed=$(sed -n 's/^ *Failed *: *\([0-9]*\).*/\1/p' "$log" | tail -1)
sanitizer_reports=$(grep -c -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log" || true)
echo "sanitizers: configure $((t1 - t0)) s, build $((t2 - t1)) s, check-attn $((t3 - t2)) s, total $((t3 - t0)) s"
echo "sanitizers: ${passed:-0} passed, ${failed:-0} failed, ${sanitizer_reports} sanitizer reports"
if [ "${passed:-0}" = 0 ]; then echo "no test ran"; exit 1; fi
exit "$status"
