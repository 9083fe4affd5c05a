#!/usr/bin/env bash
# Run 7, call 4 (H100): the high-level API on CUDA tensors from a
# precompiled cache (test/GPU/check_api.py, now with B = 4, H = 16 calls
# that take the fused state passes; carry build-api-cache made by
# `python3 test/GPU/check_api.py --precompile build-api-cache`).
set -uo pipefail
source bench/gpu/device_setup.sh || exit 1
ATTN_CACHE_DIR=$PWD/build-api-cache timeout 200 python3 test/GPU/check_api.py > $OUT/check_api.log 2>&1
echo "check_api rc=$? $(tail -1 $OUT/check_api.log)"
grep -E "FAIL|fused" $OUT/check_api.log | head -30
true
