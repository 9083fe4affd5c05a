//===- Passes.h - attn passes and pipelines ----------------------*- C++ -*-===//
//
// The attn passes (declared in Passes.td: create*() factories and *Options
// structs), their pattern sets, and the pipelines as C++ builders with option
// structs, so that another compiler can add them to its own pass manager.
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
/// Needs the upstream passes and interface models buildAttnToLLVMPipeline
/// needs (see there).
void buildAttnReferenceToLLVMPipeline(OpPassManager &pm,
                                      const AttnReferenceToLLVMOptions &opts);

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

/// Options of the form-selecting CPU pipeline: those of selection plus the
/// ABI of the lowered functions. PassOptions is a virtual base, so the
/// selection options and the one below share one option set.
struct AttnToLLVMOptions : public PassPipelineOptions<AttnToLLVMOptions>,
                           public AttnSelectionOptions {
  using PassPipelineOptions<AttnToLLVMOptions>::createFromString;
  PassOptions::Option<bool> resultsToOutParams{
      *this, "results-to-out-params",
      llvm::cl::desc("Turn memref results into caller-allocated out "
                     "parameters (needs static shapes)"),
      llvm::cl::init(false)};
  PassOptions::Option<unsigned> unrollJam{
      *this, "unroll-jam",
      llvm::cl::desc("Unroll-and-jam factor of the contractions "
                     "(attn-cpu-unroll-jam; 1: none)"),
      llvm::cl::init(4)};
  PassOptions::Option<bool> prefetch{
      *this, "prefetch",
      llvm::cl::desc("Prefetch the next chunk of the streamed inputs and "
                     "outputs (attn-cpu-prefetch)"),
      llvm::cl::init(true)};
};

/// attn -> form and chunk selection -> chunkwise / reference lowerings ->
/// bufferized loops -> LLVM dialect, for the CPU. The CPU tail names upstream
/// passes (one-shot-bufferize, convert-*-to-llvm, ...): they must be in the
/// pass registry (mlir::registerAllPasses() does it), and the bufferization
/// interface models in the context (mlir::registerAllExtensions()).
void buildAttnToLLVMPipeline(OpPassManager &pm, const AttnToLLVMOptions &opts);

/// Options of the CPU pipeline (those of attn-to-llvm).
using AttnToCPUOptions = AttnToLLVMOptions;

/// The CPU pipeline: attn-to-llvm with every (batch, head) pair of an op run
/// as an iteration of an OpenMP worksharing loop (attn-parallelize-heads).
/// The compiled code calls the OpenMP runtime (libomp).
void buildAttnToCPUPipeline(OpPassManager &pm, const AttnToCPUOptions &opts);

/// Registers the attn pipelines (attn-select, attn-to-llvm, ...) with the
/// global pass pipeline registry. Safe to call more than once.
void registerAttnPipelines();

// Defines registerAttnPasses(), which registers every attn pass.
#define GEN_PASS_REGISTRATION
#include "attn/Transforms/Passes.h.inc"

} // namespace attn
} // namespace mlir

#endif // ATTN_TRANSFORMS_PASSES_H
