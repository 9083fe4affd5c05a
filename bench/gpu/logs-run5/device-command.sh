#!/usr/bin/env bash
# Run 5, call 1 (H100): where the split forms' time goes. Each kernel's
# device time per call for attn and its fla peer (run.py --kernels) at the
# compass shape and B1 T32768, then ncu on the delta rule's and GLA's
# kernels (ONLY: the bench prefixes, NCU: the kernels to profile, BENCH_T:
# the bench time limit).
set -uo pipefail
source bench/gpu/device_setup.sh || exit 1
G=build-gpu-kernels
timeout ${BENCH_T:-330} python3 bench/gpu/run.py $G/bench --kernels --only ${ONLY:-delta_B4_T8192_D128,gated_delta_B4_T8192_D128,gla_B4_T8192_D128,linear_B4_T8192_D128,simple_gla_B4_T8192_D128,delta_B1,gated_delta_B1} --warmup 10 --rep 60 --out /tmp/b > $OUT/bench.log 2>&1
echo "bench rc=$?"; cp /tmp/b/results.md $OUT/bench.md 2>/dev/null
for k in ${NCU-delta_B4_T8192_D128 gla_B4_T8192_D128}; do
  timeout 120 ncu --clock-control none --section SpeedOfLight --section Occupancy --section WarpStateStats --section LaunchStats --section MemoryWorkloadAnalysis --section ComputeWorkloadAnalysis --section SchedulerStats -c 3 /tmp/rt/attn-cuda-run $G/bench/$k.json --repeat 1 --warmup 0 > $OUT/ncu-$k.txt 2>&1
  echo "ncu $k rc=$?"
done
true
