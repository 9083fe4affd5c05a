#!/usr/bin/env bash
# Run 4, call 1 (H100): runtime build, every check kernel, the softmax probe
# of the head-dim-64 wgmma kernels (compiled with ATTN_WG64=1), then the
# opt-in variants timed beside the default kernels and the peers.
set -uo pipefail
source bench/gpu/device_setup.sh || exit 1
G=build-gpu-kernels
ATTN_CUDA_DEBUG=1 timeout 200 python3 test/GPU/check_kernels.py $G/check > $OUT/check.log 2>&1
echo "check rc=$? $(tail -1 $OUT/check.log)"
timeout 60 python3 bench/gpu/softmax_probe.py $G/probe/sm_d64_tail.json $G/probe/sm_noncausal_tk.json $G/probe/softmax_decode.json $G/probe/sm_gqa_long.json > $OUT/probe.log 2>&1
echo "probe rc=$?"
bench() { # bench NAME PREFIXES TIMEOUT
  timeout $3 python3 bench/gpu/run.py $G/bench --only $2 --warmup 10 --rep 60 --out /tmp/b-$1 > $OUT/bench-$1.log 2>&1
  echo "bench $1 rc=$?"; cp /tmp/b-$1/results.md $OUT/bench-$1.md 2>/dev/null
}
bench softmax softmax_,wgmma_ 90
bench gla gla_,splitvectorgate_ ${GLA_T:-150}
[ "${DELTA:-0}" = 1 ] && bench delta delta_,gated_delta_,splitdelta_ 250
grep -hE "FAIL|NaN" $OUT/check.log | head -30
true
