#!/usr/bin/env bash
# Run 4, call 2 (H100): the head-dim-64 wgmma probes (descriptor fields as
# they are, and swapped for K^T (probe-t) or V (probe-d)), ncu on the wgmma
# and mma.sync softmax, then the delta rule's split form timed beside the
# fused kernel and fla.
set -uo pipefail
source bench/gpu/device_setup.sh || exit 1
G=build-gpu-kernels
for p in probe probe-t probe-d; do
  echo "### $p"
  timeout 40 python3 bench/gpu/softmax_probe.py $G/$p/sm_d64_tail.json $G/$p/sm_noncausal_tk.json 2>&1
done > $OUT/probe.log
echo "probe done"
for k in wgmma_softmax_B4_T8192_D128 softmax_B4_T8192_D128; do
  timeout 60 ncu --clock-control none --section SpeedOfLight --section Occupancy --section WarpStateStats --section LaunchStats --section MemoryWorkloadAnalysis -k regex:softmax -c 1 /tmp/rt/attn-cuda-run $G/bench/$k.json --repeat 1 --warmup 0 > $OUT/ncu-$k.txt 2>&1
  echo "ncu $k rc=$?"
done
timeout 240 python3 bench/gpu/run.py $G/bench --only delta_,gated_delta_,splitdelta_ --warmup 10 --rep 60 --out /tmp/b-delta > $OUT/bench-delta.log 2>&1
echo "bench delta rc=$?"; cp /tmp/b-delta/results.md $OUT/bench-delta.md 2>/dev/null
true
left=$(( 540 - SECONDS ))
timeout $left python3 bench/gpu/run.py $G/bench --only gla_,splitvectorgate_ --warmup 10 --rep 60 --out /tmp/b-gla > $OUT/bench-gla.log 2>&1
echo "bench gla rc=$? (limit $left s)"; cp /tmp/b-gla/results.md $OUT/bench-gla.md 2>/dev/null
true
