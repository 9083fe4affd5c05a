#!/usr/bin/env bash
# Run 5, call 4 (H100): the code of this commit. Every check kernel (the
# defaults, and the fused / sync / wgmma variants), the high-level API on
# CUDA tensors from a precompiled cache (test/GPU/check_api.py; carry
# build-api-cache made by `python3 test/GPU/check_api.py --precompile
# build-api-cache`), compute-sanitizer on the gated delta rule's split
# kernels, then every default bench kernel beside its peer with each
# kernel's time (run.py --kernels).
set -uo pipefail
source bench/gpu/device_setup.sh || exit 1
G=build-gpu-kernels
ATTN_CUDA_DEBUG=1 timeout 200 python3 test/GPU/check_kernels.py $G/check > $OUT/check.log 2>&1
echo "check rc=$? $(tail -1 $OUT/check.log)"
grep -hE "FAIL|NaN" $OUT/check.log | head -20
ATTN_CACHE_DIR=$PWD/build-api-cache timeout 100 python3 test/GPU/check_api.py > $OUT/check_api.log 2>&1
echo "check_api rc=$? $(tail -1 $OUT/check_api.log)"
timeout 100 python3 test/GPU/check_kernels.py --runner /tmp/rt/attn-cuda-run --sanitize-one $G/check/gdn_split_t1.json --sanitize-tools memcheck,racecheck --sanitize-timeout 90 > $OUT/sanitize.log 2>&1
echo "sanitize gdn_split_t1 rc=$? $(tail -1 $OUT/sanitize.log)"
timeout 330 python3 bench/gpu/run.py $G/bench --kernels --warmup 10 --rep 60 --out /tmp/b > $OUT/bench.log 2>&1
echo "bench rc=$?"; cp /tmp/b/results.md $OUT/bench.md 2>/dev/null
grep -E "attn [0-9.]+ ms" $OUT/bench.log
true
