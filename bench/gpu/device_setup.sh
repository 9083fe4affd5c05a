# Sourced by the one-off device scripts (bench/gpu/logs-run*/device-command*.sh)
# on the GPU machine, from the repository root: prints the device, installs
# the carried wheels (.whl: fla-core, nlohmann_json) into /tmp/site, builds
# the CUDA runtime into /tmp/rt and points ATTN_CUDA_RUNTIME at it.
# Returns non-zero (the caller exits) when the runtime does not build.
export PYTHONUNBUFFERED=1
nvidia-smi -L | tee "$OUT/device.txt"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
cmake -S lib/Runtime/CUDA -B /tmp/rt -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=/tmp/site/nlohmann_json >/dev/null &&
  cmake --build /tmp/rt -j16 >/dev/null &&
  export ATTN_CUDA_RUNTIME=/tmp/rt/libAttnCudaRuntime.so
