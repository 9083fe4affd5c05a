#!/usr/bin/env bash
# Run 6, call 1: the linear family's state pass holding all of Dk
# (--state-rows=128, the default where it gives half the SMs a block),
# writing chunk_states 16 bytes a lane, and GLA's state pass on the same
# cp.async ring (its gates scanned by shuffles), its output kernel on
# cp.async, and the gated delta rule's state pass decaying bf16 keys itself
# (no k_update from the prep kernel). Every check kernel
# (rows128_* and sync_* among them), compute-sanitizer on 128-row state
# passes, then the kernels beside fla (run.py --kernels): the defaults,
# rows64_* / rows128_* and base_* (7e87348's kernels: 64 rows, pair stores,
# GLA's synchronous kernels, k_update; made by gen_kernels.py --base). ONLY: bench
# prefixes; BENCH_T: its time limit.
set -uo pipefail
source bench/gpu/device_setup.sh || exit 1
G=build-gpu-kernels
ATTN_CUDA_DEBUG=1 timeout 200 python3 test/GPU/check_kernels.py $G/check > $OUT/check.log 2>&1
echo "check rc=$? $(tail -1 $OUT/check.log)"
grep -hE "FAIL|NaN" $OUT/check.log | head -20
for k in rows128_sgla_gqa_state rows128_gla_split_state gdn_split_gqa; do
  timeout 60 python3 test/GPU/check_kernels.py --runner /tmp/rt/attn-cuda-run --sanitize-one $G/check/$k.json --sanitize-tools memcheck,racecheck,synccheck --sanitize-timeout 50 > $OUT/sanitize-$k.log 2>&1
  echo "sanitize $k rc=$? $(tail -1 $OUT/sanitize-$k.log)"
done
timeout ${BENCH_T:-330} python3 bench/gpu/run.py $G/bench --kernels --only ${ONLY:-gated_delta_B4_T8192_D128,base_gated_delta_B4_T8192_D128,linear_B4_T8192_D128,base_linear_B4_T8192_D128,rows64_linear_B4_T8192_D128,simple_gla_B4_T8192_D128,base_simple_gla_B4_T8192_D128,gla_B4_T8192_D128,base_gla_B4_T8192_D128,rows64_gla_B4_T8192_D128,linear_B1,base_linear_B1,rows128_linear_B1,gla_B1,base_gla_B1,linear_B8,base_linear_B8,gla_B8,base_gla_B8} --warmup 10 --rep 60 --out /tmp/b > $OUT/bench.log 2>&1
echo "bench rc=$?"; cp /tmp/b/results.md $OUT/bench.md 2>/dev/null
grep -E "attn [0-9.]+ ms" $OUT/bench.log
true
