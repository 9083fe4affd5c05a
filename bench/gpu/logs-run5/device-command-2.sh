#!/usr/bin/env bash
# Run 5, call 2 (H100): the delta rule's prep kernel with the blocked
# triangular solve and cp.async loads, and its output kernel on cp.async:
# every check kernel, compute-sanitizer on a split delta kernel, then the
# delta rules timed per kernel beside fla.
set -uo pipefail
source bench/gpu/device_setup.sh || exit 1
G=build-gpu-kernels
ATTN_CUDA_DEBUG=1 timeout ${CHECK_T:-240} python3 test/GPU/check_kernels.py $G/check ${CHECK_ONLY:+--only $CHECK_ONLY} > $OUT/check.log 2>&1
echo "check rc=$? $(tail -1 $OUT/check.log)"
grep -hE "FAIL|NaN" $OUT/check.log | head -20
for k in ${SANITIZE:-delta_split_state}; do
  timeout 100 python3 test/GPU/check_kernels.py --runner /tmp/rt/attn-cuda-run --sanitize-one $G/check/$k.json --sanitize-tools ${TOOLS:-memcheck,racecheck,synccheck} --sanitize-timeout 90 > $OUT/sanitize-$k.log 2>&1
  echo "sanitize $k rc=$? $(tail -1 $OUT/sanitize-$k.log)"
done
timeout ${BENCH_T:-200} python3 bench/gpu/run.py $G/bench --kernels --only ${ONLY:-delta_,gated_delta_} --warmup 10 --rep 60 --out /tmp/b > $OUT/bench.log 2>&1
echo "bench rc=$?"; cp /tmp/b/results.md $OUT/bench.md 2>/dev/null
grep -E "^[a-z_0-9]+: attn|^    " $OUT/bench.log
true
