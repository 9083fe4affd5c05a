#!/usr/bin/env bash
# Run 6, call 1 (H100): the linear family's state pass holding all of Dk
# (--state-rows=128, the default where it gives half the SMs a block) and
# writing chunk_states 16 bytes a lane. Every check kernel (rows128_* among
# them), compute-sanitizer on a 128-row state pass, then the state passes
# per kernel beside fla (run.py --kernels): the defaults, rows64_* (64 rows,
# 16-byte stores) and base_* (7e87348's kernels: 64 rows, pair stores; made
# by gen_kernels.py --base). ONLY: bench prefixes; BENCH_T: its time limit.
set -uo pipefail
source bench/gpu/device_setup.sh || exit 1
G=build-gpu-kernels
ATTN_CUDA_DEBUG=1 timeout 200 python3 test/GPU/check_kernels.py $G/check > $OUT/check.log 2>&1
echo "check rc=$? $(tail -1 $OUT/check.log)"
grep -hE "FAIL|NaN" $OUT/check.log | head -20
timeout 100 python3 test/GPU/check_kernels.py --runner /tmp/rt/attn-cuda-run --sanitize-one $G/check/rows128_sgla_gqa_state.json --sanitize-tools memcheck,racecheck,synccheck --sanitize-timeout 90 > $OUT/sanitize.log 2>&1
echo "sanitize rows128_sgla_gqa_state rc=$? $(tail -1 $OUT/sanitize.log)"
timeout ${BENCH_T:-300} python3 bench/gpu/run.py $G/bench --kernels --only ${ONLY:-linear_B4_T8192_D128,base_linear_B4_T8192_D128,rows64_linear_B4_T8192_D128,simple_gla_B4_T8192_D128,base_simple_gla_B4_T8192_D128,rows64_simple_gla_B4_T8192_D128,gla_B4_T8192_D128,base_gla_B4_T8192_D128,linear_B1,base_linear_B1,rows128_linear_B1,linear_B8,base_linear_B8,rows64_linear_B8,linear_B4_T8192_D64,base_linear_B4_T8192_D64} --warmup 10 --rep 60 --out /tmp/b > $OUT/bench.log 2>&1
echo "bench rc=$?"; cp /tmp/b/results.md $OUT/bench.md 2>/dev/null
grep -E "attn [0-9.]+ ms" $OUT/bench.log
true
