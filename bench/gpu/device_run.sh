#!/usr/bin/env bash
# One call on the GPU machine: installs the carried wheels, builds the CUDA
# runtime (lib/Runtime/CUDA, Release), runs its ctest (with the GPU tests),
# checks every kernel against the float64 reference
# (test/GPU/check_kernels.py; the fake kernels of test/GPU/Inputs first),
# runs one kernel under compute-sanitizer, and benchmarks against the peers
# (bench/gpu/run.py) when a bench folder is given.
#
#   bash bench/gpu/device_run.sh [CHECK_DIR] [BENCH_DIR]
#
# CHECK_DIR defaults to build-gpu-kernels/check; no BENCH_DIR, no benchmark.
# Files for $OUT (at most 8): device_run.log (everything), check.md,
# sanitize.log, ctest.log, bench/results.md, bench/results.png.
# Environment: SANITIZE=0 skips compute-sanitizer; FLA_FULL=1 also installs
# the flash-linear-attention wheel (fla.layers/fla.models, which import
# transformers; fla.ops needs only fla-core).
# The runtime needs nlohmann_json (headers only). The GPU machine has no
# network: carry .whl/nlohmann_json-3.12.0-py3-none-any.whl (PyPI
# nlohmann-json); it is installed with the other wheels and passed as
# CMAKE_PREFIX_PATH, which CMake uses where the machine has no nlohmann_json
# package of its own (in December 2026 its image had Debian's 3.11.3).
set -uo pipefail
export PYTHONUNBUFFERED=1

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
out=${OUT:-$root/bench/gpu/out}
mkdir -p "$out"
check_dir=${1:-build-gpu-kernels/check}
bench_dir=${2:-}
build=/tmp/attn-build-cuda
exec > >(tee "$out/device_run.log") 2>&1
tee_pid=$!

summary=()
failed=0
step() { # step NAME COMMAND...: runs it, records ok / FAILED and the time
  local name=$1 start rc
  shift
  echo
  echo "=== $name"
  start=$(date +%s)
  "$@"
  rc=$?
  if [ "$rc" = 0 ]; then
    summary+=("$name: ok ($(( $(date +%s) - start )) s)")
  else
    summary+=("$name: FAILED (exit $rc, $(( $(date +%s) - start )) s)")
    failed=1
  fi
  return "$rc"
}

environment() {
  nvidia-smi -L || true
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm \
    --format=csv || true
  command -v nvcc >/dev/null && nvcc --version | tail -2
  cmake --version | head -1
  python3 -c 'import sys, torch; print("python", sys.version.split()[0], "torch",
torch.__version__, "cuda", torch.version.cuda, "device",
torch.cuda.get_device_name() if torch.cuda.is_available() else "none")'
}

install_wheels() {
  local wheels=()
  for w in .whl/*.whl; do
    [ -e "$w" ] || continue
    case $(basename "$w") in
      flash_linear_attention-*) [ "${FLA_FULL:-0}" = 1 ] || continue ;;
    esac
    wheels+=("$w")
  done
  if [ ${#wheels[@]} = 0 ]; then
    echo "no wheels in .whl/: the peers that need them will be n/a, and the"
    echo "runtime builds only if nlohmann_json is installed"
    return 0
  fi
  printf 'installing %s\n' "${wheels[@]}"
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
    --upgrade --target /tmp/site "${wheels[@]}" || return 1
  export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
  if [ -d /tmp/site/fla ]; then
    python3 -c 'import fla; from fla.ops.gla import chunk_gla; print("fla", fla.__version__)'
  fi
}

build_runtime() {
  local gen=() json=()
  command -v ninja >/dev/null && gen=(-G Ninja)
  # The nlohmann-json wheel has headers and no CMake package: the runtime's
  # CMakeLists finds nlohmann/json.hpp under the prefix's include/.
  [ -d /tmp/site/nlohmann_json/include ] &&
    json=(-DCMAKE_PREFIX_PATH=/tmp/site/nlohmann_json)
  rm -rf "$build"
  cmake -S lib/Runtime/CUDA -B "$build" "${gen[@]}" "${json[@]}" \
    -DCMAKE_BUILD_TYPE=Release -DATTN_CUDA_GPU_TESTS=ON || return 1
  cmake --build "$build" -j "$(nproc)" || return 1
  export ATTN_CUDA_RUNTIME=$build/libAttnCudaRuntime.so
}

run_ctest() {
  (cd "$build" && ctest --output-on-failure) 2>&1 | tee "$out/ctest.log"
}

check() {
  local dirs=(test/GPU/Inputs)
  if [ -d "$check_dir" ]; then
    dirs+=("$check_dir")
  else
    echo "warning: $check_dir does not exist: checking the fake kernels only"
  fi
  # ATTN_CUDA_DEBUG: synchronize after each launch (an error names its
  # launch) and check every pointer against its allocation.
  ATTN_CUDA_DEBUG=1 python3 test/GPU/check_kernels.py "${dirs[@]}" \
    --markdown "$out/check.md"
}

sanitize() {
  local first
  first=$(ls "$check_dir"/*.json 2>/dev/null | head -1)
  {
    python3 test/GPU/check_kernels.py --runner "$build/attn-cuda-run" \
      --sanitize-one test/GPU/Inputs/fake_softmax.json \
      --sanitize-tools memcheck,initcheck,racecheck,synccheck &&
    # SANITIZE_KERNELS: the compiled kernels to run under every tool
    # (default: the first of the check folder).
    for kernel in ${SANITIZE_KERNELS:-$first}; do
      timeout 300 python3 test/GPU/check_kernels.py --runner "$build/attn-cuda-run" \
        --sanitize-one "$kernel" \
        --sanitize-tools memcheck,initcheck,racecheck,synccheck \
        --sanitize-timeout 140 || exit 1
    done
  } 2>&1 | tee "$out/sanitize.log"
}

bench() {
  python3 bench/gpu/run.py "$bench_dir" --out "$out/bench"
}

start_all=$(date +%s)
step environment environment
step wheels install_wheels
if step build build_runtime; then
  step ctest run_ctest
  step check check
  [ "${SANITIZE:-1}" = 0 ] || step compute-sanitizer sanitize
  [ -n "$bench_dir" ] && step bench bench
else
  echo "the runtime did not build: nothing else runs"
fi

echo
echo "=== summary ($(( $(date +%s) - start_all )) s)"
[ -f "$out/check.md" ] && grep -E "^\| " "$out/check.md" | cut -c1-200
printf '%s\n' "${summary[@]}"
# Let tee write the last lines before the script ends.
exec >&- 2>&-
wait "$tee_pid" 2>/dev/null
exit "$failed"
