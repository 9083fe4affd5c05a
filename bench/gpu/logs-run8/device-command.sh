#!/usr/bin/env bash
# Run 8, call 1 (H100): the softmax kernel on warpgroup MMA with two
# warpgroups a block (128 query rows) and S of block n issued beside P V of
# block n - 1 (three K/V buffers), and every kernel after the per-kernel
# thread-count refactor. Checks every check kernel (CHECK_ONLY=prefix to
# narrow), compute-sanitizer on two wgmma kernels, then (unless BENCH=0)
# the default (mma.sync) and wgmma_* bench kernels beside torch SDPA.
set -uo pipefail
source bench/gpu/device_setup.sh || exit 1
G=build-gpu-kernels
ATTN_CUDA_DEBUG=1 timeout 200 python3 test/GPU/check_kernels.py $G/check ${CHECK_ONLY:+--only $CHECK_ONLY} > $OUT/check.log 2>&1
echo "check rc=$? $(tail -1 $OUT/check.log)"
grep -hE "FAIL|NaN|wgmma_sm" $OUT/check.log | head -30
for k in ${SANITIZE:-wgmma_sm_prefill_tail wgmma_sm_window}; do
  timeout 80 python3 test/GPU/check_kernels.py --runner /tmp/rt/attn-cuda-run --sanitize-one $G/check/$k.json --sanitize-tools memcheck,racecheck,synccheck --sanitize-timeout 70 > $OUT/sanitize-$k.log 2>&1
  echo "sanitize $k rc=$? $(tail -1 $OUT/sanitize-$k.log)"
done
[ "${BENCH:-1}" = 0 ] && exit 0
timeout ${BENCH_T:-240} python3 bench/gpu/run.py $G/bench --only ${ONLY:-softmax_,wgmma_softmax_} --warmup 10 --rep 60 --out /tmp/b > $OUT/bench.log 2>&1
echo "bench rc=$?"; cp /tmp/b/results.md $OUT/bench.md 2>/dev/null
grep -E "attn [0-9.]+ ms" $OUT/bench.log
true
