//===- Passes.h - attn passes and pipelines ----------------------*- C++ -*-===//
//
// The target-independent attn passes (declared in Passes.td: create*()
// factories and *Options structs), their pattern sets, and the selection
// pipeline as a C++ builder with its options, so that another compiler can
// add them to its own pass manager. The CPU and GPU code generators are
// conversions: attn/Conversion/AttnToCPU/AttnToCPU.h, AttnToGPU/AttnToGPU.h.
//
//===----------------------------------------------------------------------===//
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

/// Patterns of attn-raise: softmax and non-causal linear attention written as
/// linalg contractions and elementwise ops become attn ops.
void populateAttnRaisePatterns(RewritePatternSet &patterns);

/// Options of form and chunk selection (attn-select-form, attn-select-chunk).
struct AttnSelectionOptions
    : public PassPipelineOptions<AttnSelectionOptions> {
  PassOptions::Option<std::string> target{
      *this, "target",
      llvm::cl::desc("Target description for the cost model (x86-avx512, "
                     "x86-avx2, sm_80, sm_90)"),
      llvm::cl::init("x86-avx512")};
  PassOptions::Option<std::string> form{
      *this, "form",
      llvm::cl::desc("auto, recurrent, quadratic, chunkwise or reassociated"),
      llvm::cl::init("auto")};
  PassOptions::Option<int64_t> chunkSize{
      *this, "chunk-size",
      llvm::cl::desc("Chunk size of chunkwise forms (0: cost model)"),
      llvm::cl::init(0)};
  PassOptions::Option<bool> explain{
      *this, "explain",
      llvm::cl::desc("Remark the cost model's candidates and choices"),
      llvm::cl::init(false)};
};

/// Records on every attn op the form and chunk size the cost model picks for
/// `opts.target` (attn-select-form, then attn-select-chunk). The ops stay attn
/// ops: a compiler can run this and then lower them its own way.
void buildAttnSelectionPipeline(OpPassManager &pm,
                                const AttnSelectionOptions &opts);

/// Registers the target-independent pipeline (attn-select) with the global
/// pass pipeline registry. Safe to call more than once. The CPU and GPU
/// pipelines are registered by their conversions (attn/Conversion/Passes.h).
void registerAttnPipelines();

// Defines registerAttnPasses(), which registers the passes of this header.
#define GEN_PASS_REGISTRATION
#include "attn/Transforms/Passes.h.inc"

} // namespace attn
} // namespace mlir

#endif // ATTN_TRANSFORMS_PASSES_H
