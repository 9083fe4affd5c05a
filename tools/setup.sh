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

# Make `import attn` find the package the build assembled (a .pth file in
# this Python's site-packages points at build/python_packages).
site=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$root/build/python_packages" > "$site/attn-build.pth"
python3 - <<'PY'
import numpy as np, attn
q = k = v = np.random.default_rng(0).uniform(-1, 1, (1, 64, 2, 32)).astype(np.float32)
o = attn.linear_attention(q, k, v, feature_map="elu+1", normalize=True)
print(f"attn {attn.__version__}: linear_attention -> {o.shape} {o.dtype}")
PY
