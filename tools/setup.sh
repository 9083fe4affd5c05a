#!/usr/bin/env bash
# Installs what attn needs (Debian 12), configures and builds it in build/, and
# runs a small example checked against the float64 reference.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/tools/install-deps.sh"
cmake -G Ninja -S "$root" -B "$root/build" \
  -DCMAKE_C_COMPILER=/usr/lib/llvm-22/bin/clang \
  -DCMAKE_CXX_COMPILER=/usr/lib/llvm-22/bin/clang++
cmake --build "$root/build" -j "$(nproc)"
"$root/build/bin/attn-run" "$root/docs/examples/quickstart.mlir" --check
