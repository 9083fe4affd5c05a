#!/usr/bin/env bash
# One device call for the whole team: runtime build, then each folder's
# check and bench (each in its own process, with its own time limit).
set -uo pipefail
source bench/gpu/device_setup.sh || exit 1
check() { # check LETTER
  local D=.dev-$1 ck=test/GPU/check_kernels.py
  [ -d $D/check ] || return 0
  [ -f $D/check_kernels.py ] && ck=$D/check_kernels.py
  ATTN_CUDA_DEBUG=1 timeout 120 python3 $ck $D/check > $OUT/check-$1.log 2>&1
  echo "check $1 rc=$? $(tail -1 $OUT/check-$1.log)"
}
bench() { # bench LETTER
  local f=.dev-$1/bench
  [ -d $f ] || return 0
  timeout ${BT:-150} python3 bench/gpu/run.py $f --warmup 10 --rep 60 --out /tmp/b-$1 > $OUT/bench-$1.log 2>&1
  echo "bench $1 rc=$?"; cp /tmp/b-$1/results.md $OUT/bench-$1.md 2>/dev/null
}
check main; BT=300 bench main
check a; bench a
grep -hE "FAIL|NaN" $OUT/check-*.log | head -30
