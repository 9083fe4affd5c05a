#!/usr/bin/env bash
# Installs what attn needs on Debian 12: MLIR/LLVM 22 from Debian's packages, the build tools,
# and the Python packages the tests and bindings use. Idempotent; run as root (or with sudo).
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
PKGS="mlir-22-tools libmlir-22-dev llvm-22-dev llvm-22-tools clang-22 lld-22 libomp-22-dev \
  libclang-rt-22-dev \
  ninja-build cmake ccache libgtest-dev nlohmann-json3-dev python3-pip"
missing=""
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi
python3 -m pip install -q --disable-pip-version-check numpy lit nanobind ml_dtypes pytest
# torch for the tests of the torch integration (python/tests/test_torch.py).
# PyPI's default wheel (it brings CUDA libraries; the CPU-only index is not
# reachable from every machine): a CUDA build runs on the CPU as well.
python3 -c 'import torch' 2>/dev/null ||
  python3 -m pip install -q --disable-pip-version-check torch==2.9.1
