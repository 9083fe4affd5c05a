#!/usr/bin/env bash
# Run 7, call 2 (H100): the delta rules' state pass computing the outputs
# too (fuse-outputs=auto: prep kernel + one state pass, no chunk_states or
# v_new). Every check kernel (fo_* with the delta rules' split sources among
# them: GQA, initial and final state, T = 1, D = 64, f32 keys staying
# split), compute-sanitizer on two fused delta kernels, then the defaults
# beside unfused_* (fuse-outputs=off) and fla at the four bench shapes.
set -uo pipefail
source bench/gpu/device_setup.sh || exit 1
G=build-gpu-kernels
ATTN_CUDA_DEBUG=1 timeout 170 python3 test/GPU/check_kernels.py $G/check ${CHECK_ONLY:+--only $CHECK_ONLY} > $OUT/check.log 2>&1
echo "check rc=$? $(tail -1 $OUT/check.log)"
grep -hE "FAIL|NaN" $OUT/check.log | head -20
for k in fo_gdn_split_gqa fo_delta_split_state; do
  timeout 70 python3 test/GPU/check_kernels.py --runner /tmp/rt/attn-cuda-run --sanitize-one $G/check/$k.json --sanitize-tools memcheck,racecheck,synccheck --sanitize-timeout 60 > $OUT/sanitize-$k.log 2>&1
  echo "sanitize $k rc=$? $(tail -1 $OUT/sanitize-$k.log)"
done
timeout ${BENCH_T:-300} python3 bench/gpu/run.py $G/bench --only ${ONLY:-delta_,unfused_delta_,gated_delta_,unfused_gated_delta_} --warmup 10 --rep 60 --out /tmp/b > $OUT/bench.log 2>&1
echo "bench rc=$?"; cp /tmp/b/results.md $OUT/bench.md 2>/dev/null
grep -E "attn [0-9.]+ ms" $OUT/bench.log
true
