//===- GpuArtifacts.h - PTX and launch manifests of compiled kernels -*- C++ -*-===//
//
// What attn-to-gpu leaves in a module, as the files the CUDA runtime loads:
// for every function, its PTX and its launch manifest as JSON
// (docs/gpu-runtime.md). attn-gpu-compile and the C API both use it.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_CONVERSION_GPUARTIFACTS_H
#define ATTN_CONVERSION_GPUARTIFACTS_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir::attn {

struct GpuKernelArtifact {
  std::string name;     // the function's name; files NAME.ptx, NAME.json
  std::string ptx;      // PTX text
  std::string manifest; // JSON, attn-gpu-kernel/1
};

/// The kernels of a module that attn-to-gpu has run on (gpu.binary ops and
/// the attn.gpu_manifests attribute). Emits an error and fails when a
/// binary has no manifest or its object is not PTX text.
FailureOr<SmallVector<GpuKernelArtifact>> collectGpuArtifacts(ModuleOp module);

} // namespace mlir::attn

#endif // ATTN_CONVERSION_GPUARTIFACTS_H
