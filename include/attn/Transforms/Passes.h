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

/// Options of the form-selecting CPU pipeline.
struct AttnToLLVMOptions : public PassPipelineOptions<AttnToLLVMOptions> {
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
  PassOptions::Option<bool> resultsToOutParams{
      *this, "results-to-out-params",
      llvm::cl::desc("Turn memref results into caller-allocated out "
                     "parameters (needs static shapes)"),
      llvm::cl::init(false)};
};

/// attn -> form and chunk selection -> chunkwise / reference lowerings ->
/// bufferized loops -> LLVM dialect, for the CPU.
void buildAttnToLLVMPipeline(OpPassManager &pm, const AttnToLLVMOptions &opts);

/// Registers the attn pipelines (attn-reference-to-llvm, ...).
void registerAttnPipelines();

// Defines registerAttnPasses(), which registers every attn pass.
#define GEN_PASS_REGISTRATION
#include "attn/Transforms/Passes.h.inc"

} // namespace attn
} // namespace mlir

#endif // ATTN_TRANSFORMS_PASSES_H
