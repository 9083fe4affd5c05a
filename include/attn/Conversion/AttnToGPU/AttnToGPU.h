//===- AttnToGPU.h - the GPU code generator's passes and pipeline -*- C++ -*-===//
//
// attn-lower-to-gpu and attn-extern-dynamic-shared-memory (declared in
// AttnToGPU/Passes.td) and the attn-to-gpu pipeline as a C++ builder with its
// options.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_CONVERSION_ATTNTOGPU_ATTNTOGPU_H
#define ATTN_CONVERSION_ATTNTOGPU_ATTNTOGPU_H

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir {
class ModuleOp;
namespace attn {

#define GEN_PASS_DECL
#include "attn/Conversion/AttnToGPU/Passes.h.inc"

/// Options of the GPU pipeline.
struct AttnToGPUOptions : public PassPipelineOptions<AttnToGPUOptions> {
  PassOptions::Option<std::string> target{
      *this, "target",
      llvm::cl::desc("GPU target: sm_80 (Ampere, mma.sync) or sm_90 (Hopper; "
                     "PTX for sm_90a)"),
      llvm::cl::init("sm_90")};
  PassOptions::Option<int64_t> chunkSize{
      *this, "chunk-size",
      llvm::cl::desc("Chunk / tile size (0: cost model, then shrunk to fit "
                     "shared memory)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> blockV{
      *this, "block-v",
      llvm::cl::desc("Value columns per thread block of the linear-family "
                     "kernels (16, 32, 64; 0: from the SM count, the split "
                     "form's state pass at 32 at least)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> stateRows{
      *this, "state-rows",
      llvm::cl::desc("Rows of Dk per block of linear and scalar-gated "
                     "attention's state pass (64, or 128: all of Dk up to "
                     "128; 0: all of Dk where that gives half the SMs a "
                     "block)"),
      llvm::cl::init(0)};
  PassOptions::Option<std::string> fuseOutputs{
      *this, "fuse-outputs",
      llvm::cl::desc("The linear family's and the delta rules' state pass "
                     "computes each chunk's outputs too (one kernel, no "
                     "chunk-state round trip; Dk up to 128, no feature "
                     "map): auto (where the grid fills the GPU), on or off"),
      llvm::cl::init("auto")};
  PassOptions::Option<bool> splitState{
      *this, "split-state",
      llvm::cl::desc("Linear and scalar-gated attention as a state pass and "
                     "an output kernel parallel over chunks (false: the "
                     "fused kernel)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> wgmma{
      *this, "wgmma",
      llvm::cl::desc("On sm_90, the softmax kernel multiplies with warpgroup "
                     "MMA (wgmma.mma_async, bf16 inputs, head dim "
                     "128; correct, but 2.3x slower than mma.sync on an "
                     "H100; false: mma.sync everywhere)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> splitDelta{
      *this, "split-delta",
      llvm::cl::desc("The delta rule in the split form too (with "
                     "split-state): a state pass and an output kernel "
                     "parallel over chunks (false: the fused kernel)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> splitVectorGate{
      *this, "split-vector-gate",
      llvm::cl::desc("With split-state, vector-gated attention (GLA) in the "
                     "split form too (false: the fused kernel)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> splitCpAsync{
      *this, "split-cp-async",
      llvm::cl::desc("Linear and scalar-gated attention's split form loads "
                     "its tiles by cp.async (state pass: a ring of 2-4 "
                     "chunks in flight; output kernel: two commit groups; "
                     "false: synchronous loads)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> toBinary{
      *this, "to-binary",
      llvm::cl::desc("Serialize the kernels to PTX (gpu.binary); false stops "
                     "at the NVVM dialect"),
      llvm::cl::init(true)};
};

/// attn -> form and chunk selection for the GPU target -> attn-lower-to-gpu
/// -> NVVM -> PTX (gpu-module-to-binary, format isa). The tail names
/// upstream passes, which must be in the pass registry
/// (mlir::registerAllPasses() does it).
void buildAttnToGPUPipeline(OpPassManager &pm, const AttnToGPUOptions &opts);

/// The PTX `chip` and `features` for a target name (sm_80 -> sm_80, sm_90 ->
/// sm_90a with +ptx80); failure for a non-GPU target.
LogicalResult gpuChipFor(StringRef target, std::string &chip,
                         std::string &features);

/// Registers attn-to-gpu with the global pipeline registry.
void registerAttnGPUPipeline();

// Defines registerAttnToGPUPasses().
#define GEN_PASS_REGISTRATION
#include "attn/Conversion/AttnToGPU/Passes.h.inc"

} // namespace attn
} // namespace mlir

#endif // ATTN_CONVERSION_ATTNTOGPU_ATTNTOGPU_H
