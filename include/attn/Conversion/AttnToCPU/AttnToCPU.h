//===- AttnToCPU.h - the CPU code generator's passes and pipelines -*- C++ -*-===//
//
// The CPU passes (declared in AttnToCPU/Passes.td: vector kernels for the
// contractions, vector loops, polynomial exponentials, prefetching,
// unroll-and-jam) and the CPU pipelines as C++ builders with option structs:
// attn -> selection -> target-independent lowerings -> bufferized loops ->
// these passes -> LLVM dialect.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_CONVERSION_ATTNTOCPU_ATTNTOCPU_H
#define ATTN_CONVERSION_ATTNTOCPU_ATTNTOCPU_H

#include "attn/Transforms/Passes.h"

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir {
namespace attn {

#define GEN_PASS_DECL
#include "attn/Conversion/AttnToCPU/Passes.h.inc"

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

/// Registers the CPU pipelines (attn-to-cpu, attn-to-llvm,
/// attn-reference-to-llvm) with the global pass pipeline registry. Safe to
/// call more than once.
void registerAttnCPUPipelines();

// Defines registerAttnToCPUPasses().
#define GEN_PASS_REGISTRATION
#include "attn/Conversion/AttnToCPU/Passes.h.inc"

} // namespace attn
} // namespace mlir

#endif // ATTN_CONVERSION_ATTNTOCPU_ATTNTOCPU_H
