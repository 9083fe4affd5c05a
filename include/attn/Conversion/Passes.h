//===- Passes.h - every attn conversion (CPU and GPU code generation) -*- C++ -*-===//
//
// The code generators: attn-to-cpu (AttnToCPU/AttnToCPU.h) and attn-to-gpu
// (AttnToGPU/AttnToGPU.h), with one call that registers both.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_CONVERSION_PASSES_H
#define ATTN_CONVERSION_PASSES_H

#include "attn/Conversion/AttnToCPU/AttnToCPU.h"
#include "attn/Conversion/AttnToGPU/AttnToGPU.h"

namespace mlir::attn {

/// Registers the passes and pipelines of both code generators with the
/// global registries. Safe to call more than once.
inline void registerAttnConversionPasses() {
  registerAttnToCPUPasses();
  registerAttnCPUPipelines();
  registerAttnToGPUPasses();
  registerAttnGPUPipeline();
}

} // namespace mlir::attn

#endif // ATTN_CONVERSION_PASSES_H
