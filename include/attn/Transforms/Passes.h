//===- Passes.h - attn passes and pipelines ----------------------*- C++ -*-===//
#ifndef ATTN_TRANSFORMS_PASSES_H
#define ATTN_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir {
class RewritePatternSet;
namespace attn {

#define GEN_PASS_DECL
#include "attn/Transforms/Passes.h.inc"

/// Patterns rewriting every attn op into its definitional linalg/scf form.
void populateAttnToReferencePatterns(RewritePatternSet &patterns);

/// Patterns lowering ops whose form is chunkwise (or quadratic, for the
/// linear family) into chunks; other ops are left alone.
void populateAttnChunkwisePatterns(RewritePatternSet &patterns);

/// Options of the reference CPU pipeline (attn -> LLVM dialect).
struct AttnReferenceToLLVMOptions
    : public PassPipelineOptions<AttnReferenceToLLVMOptions> {
  PassOptions::Option<bool> resultsToOutParams{
      *this, "results-to-out-params",
      llvm::cl::desc("Turn memref results into caller-allocated out "
                     "parameters (the ABI attn-run uses; needs static shapes)"),
      llvm::cl::init(false)};
};

/// attn -> reference form -> bufferized loops -> LLVM dialect, for the CPU.
void buildAttnReferenceToLLVMPipeline(OpPassManager &pm,
                                      const AttnReferenceToLLVMOptions &opts);

/// Registers the attn pipelines (attn-reference-to-llvm, ...).
void registerAttnPipelines();

// Defines registerAttnPasses(), which registers every attn pass.
#define GEN_PASS_REGISTRATION
#include "attn/Transforms/Passes.h.inc"

} // namespace attn
} // namespace mlir

#endif // ATTN_TRANSFORMS_PASSES_H
