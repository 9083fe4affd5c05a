#!/usr/bin/env bash
# Run 4, call 3 (H100): every check kernel with the new defaults (split
# delta rule and GLA) and the fused / sync variants, the peak probe of the
# head-dim-64 wgmma kernels, the high-level API on CUDA tensors from a
# precompiled cache (test/GPU/check_api.py), and compute-sanitizer on the
# split delta rule and GLA kernels.
set -uo pipefail
source bench/gpu/device_setup.sh || exit 1
G=build-gpu-kernels
ATTN_CUDA_DEBUG=1 timeout 200 python3 test/GPU/check_kernels.py $G/check > $OUT/check.log 2>&1
echo "check rc=$? $(tail -1 $OUT/check.log)"
timeout 60 python3 bench/gpu/softmax_probe.py --peak $G/probe/sm_noncausal_tk.json $G/probe/sm_d64_tail.json $G/check/wg_sm_prefill_tail.json > $OUT/probe.log 2>&1
echo "probe rc=$?"
ATTN_CACHE_DIR=$PWD/build-api-cache timeout 150 python3 test/GPU/check_api.py > $OUT/check_api.log 2>&1
echo "check_api rc=$? $(tail -1 $OUT/check_api.log)"
for k in gdn_split_t1 gla_split_t1 delta_split_state; do
  timeout 100 python3 test/GPU/check_kernels.py --runner /tmp/rt/attn-cuda-run --sanitize-one $G/check/$k.json --sanitize-tools memcheck,racecheck,synccheck --sanitize-timeout 90 > $OUT/sanitize-$k.log 2>&1
  echo "sanitize $k rc=$? $(tail -1 $OUT/sanitize-$k.log)"
done
grep -hE "FAIL|NaN" $OUT/check.log | head -30
true
