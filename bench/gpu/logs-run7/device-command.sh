#!/usr/bin/env bash
# Run 7, call 1 (H100): fuse-outputs=auto (the default), the scalar gate's
# row and column gates taken from each warp's own scan (no warp-0 scan, no
# gcum in shared memory). Every check kernel (fo_*, fuse-outputs=on, among
# them: GQA, initial and final state, T = 1, f16 and f32 inputs),
# compute-sanitizer on one fused kernel, then the defaults beside fo_* (on)
# and unfused_* (off) and fla at the four bench shapes.
set -uo pipefail
source bench/gpu/device_setup.sh || exit 1
G=build-gpu-kernels
ATTN_CUDA_DEBUG=1 timeout 150 python3 test/GPU/check_kernels.py $G/check ${CHECK_ONLY:+--only $CHECK_ONLY} > $OUT/check.log 2>&1
echo "check rc=$? $(tail -1 $OUT/check.log)"
grep -hE "FAIL|NaN" $OUT/check.log | head -20
timeout 70 python3 test/GPU/check_kernels.py --runner /tmp/rt/attn-cuda-run --sanitize-one $G/check/fo_sgla_gqa_state.json --sanitize-tools memcheck,racecheck,synccheck --sanitize-timeout 60 > $OUT/sanitize.log 2>&1
echo "sanitize fo_sgla_gqa_state rc=$? $(tail -1 $OUT/sanitize.log)"
timeout ${BENCH_T:-300} python3 bench/gpu/run.py $G/bench --only ${ONLY:-fo_linear_,unfused_linear_,linear_,fo_simple_gla_,unfused_simple_gla_,simple_gla_} --warmup 10 --rep 60 --out /tmp/b > $OUT/bench.log 2>&1
echo "bench rc=$?"; cp /tmp/b/results.md $OUT/bench.md 2>/dev/null
grep -E "attn [0-9.]+ ms" $OUT/bench.log
true
