#!/usr/bin/env bash
# Uses attn the way another compiler does: installs an attn build into a
# temporary prefix, builds this directory's project against it with
# find_package(AttnCompiler), and FileChecks its attn-consumer-opt on a
# softmax and a linear attention op. Also loads the installed mlir-opt plugin
# and runs the installed attn-opt. Exits non-zero on any failure.
#
# Usage: run.sh [BUILD_DIR [WORK_DIR]]
#   BUILD_DIR  a built attn build directory to install; when absent, attn is
#              configured and built in WORK_DIR first (minutes, not seconds).
#   WORK_DIR   scratch directory, emptied first; default: a temporary one,
#              removed at the end.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:-}
work=${2:-}
if [ -z "$work" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
rm -rf "$work" && mkdir -p "$work"
work=$(cd "$work" && pwd)

generator="Unix Makefiles"
command -v ninja >/dev/null && generator=Ninja
step() { echo "== $*"; }

if [ -z "$build" ]; then
  build=$work/attn-build
  step "configure and build attn in $build"
  cmake -G "$generator" -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release \
    -DATTN_ENABLE_UNIT_TESTS=OFF -DATTN_ENABLE_PYTHON=OFF >/dev/null
  cmake --build "$build" --parallel "${JOBS:-2}"
fi
build=$(cd "$build" && pwd)

# What the attn build used: the same compiler and MLIR for the consumer.
cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
cxx=$(cache CMAKE_CXX_COMPILER)
llvm_bin=$(cd "$(cache LLVM_DIR)/../../../bin" && pwd)
filecheck=$llvm_bin/FileCheck

prefix=$work/prefix
step "install into $prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null

step "configure and build the consumer against $prefix"
extra=()
if command -v ccache >/dev/null; then
  extra+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
if [[ "$cxx" == *clang* ]] && [ -x "$llvm_bin/ld.lld" ]; then
  extra+=(-DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld)
fi
# Only the prefix: MLIR is found through the package's own hint.
cmake -G "$generator" -S "$here" -B "$work/consumer" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" "${extra[@]}" \
  | grep -E "AttnCompiler|MLIR:"
cmake --build "$work/consumer"
tool=$work/consumer/attn-consumer-opt

step "attn-consumer-opt: softmax and linear attention"
"$tool" "$here/softmax.mlir" --attn-select |
  "$filecheck" "$here/softmax.mlir" --check-prefix=SELECT
"$tool" "$here/softmax.mlir" --consumer-lower-attn |
  "$filecheck" "$here/softmax.mlir"
"$tool" "$here/linear.mlir" --attn-select |
  "$filecheck" "$here/linear.mlir" --check-prefix=SELECT
"$tool" "$here/linear.mlir" --consumer-lower-attn="target=x86-avx2" |
  "$filecheck" "$here/linear.mlir"

step "the installed plugin in $llvm_bin/mlir-opt, the installed attn-opt"
plugin=$(ls "$prefix"/lib*/*AttnPlugin*)
"$llvm_bin/mlir-opt" "$here/linear.mlir" --load-dialect-plugin="$plugin" \
  --load-pass-plugin="$plugin" --pass-pipeline="builtin.module(attn-select)" |
  "$filecheck" "$here/linear.mlir" --check-prefix=SELECT
"$prefix/bin/attn-opt" "$here/softmax.mlir" --attn-select |
  "$filecheck" "$here/softmax.mlir" --check-prefix=SELECT

echo "consumer test passed"
