#!/usr/bin/env bash
# Run 7, call 3 (H100): every default bench kernel beside its peer (the
# table of bench/gpu/results.md), no per-kernel profile. BENCH_T: the time
# limit.
set -uo pipefail
source bench/gpu/device_setup.sh || exit 1
G=build-gpu-kernels
timeout ${BENCH_T:-480} python3 bench/gpu/run.py $G/bench --only linear_,simple_gla_,gla_,delta_,gated_delta_,softmax_ --warmup 10 --rep 60 --out /tmp/b > $OUT/bench.log 2>&1
echo "bench rc=$?"; cp /tmp/b/results.md $OUT/bench.md 2>/dev/null
grep -E "attn [0-9.]+ ms" $OUT/bench.log
true
