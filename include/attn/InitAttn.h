//===- InitAttn.h - register everything attn provides ------------*- C++ -*-===//
//
// The one header a compiler that embeds attn needs for registration: the
// dialect into a DialectRegistry, the passes and pipelines into MLIR's global
// registries (what textual pipelines and `--help` read). The pipeline
// builders and option structs it also brings (attn/Transforms/Passes.h, and
// the code generators' attn/Conversion/AttnToCPU/AttnToCPU.h and
// AttnToGPU/AttnToGPU.h) add attn passes to a pass manager from C++ without
// any registration.
//
//   mlir::DialectRegistry registry;
//   registry.insert<mlir::func::FuncDialect>();
//   mlir::attn::registerAllAttn(registry);
//   mlir::MLIRContext context(registry);
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_INITATTN_H
#define ATTN_INITATTN_H

#include "attn/Dialect/Attn/IR/Attn.h"
#include "attn/Conversion/Passes.h"
#include "attn/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"

namespace mlir::attn {

/// Adds the attn dialect to `registry`. Loading it also loads the dialects
/// attn IR lowers into (arith, linalg, math, scf, tensor).
inline void registerAllAttnDialects(DialectRegistry &registry) {
  registerAttnDialect(registry);
}

/// Registers every attn pass (attn-select-form, attn-lower-to-reference,
/// attn-cpu-vectorize-loops, attn-lower-to-gpu, ...) and pipeline
/// (attn-select, attn-to-cpu, attn-to-llvm, attn-to-gpu, ...) with the global
/// registries. Safe to call more than once.
inline void registerAllAttnPasses() {
  registerAttnPasses();
  registerAttnPipelines();
  registerAttnConversionPasses();
}

/// Both of the above: what a mlir-opt-like tool calls once in main().
inline void registerAllAttn(DialectRegistry &registry) {
  registerAllAttnDialects(registry);
  registerAllAttnPasses();
}

} // namespace mlir::attn

#endif // ATTN_INITATTN_H
