//===- Passes.td - attn-to-gpu conversion passes -----------*- tablegen -*-===//
#ifndef ATTN_CONVERSION_ATTNTOGPU_PASSES_TD
#define ATTN_CONVERSION_ATTNTOGPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnLowerToGPU : Pass<"attn-lower-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Turn each attn function into a tensor-core GPU kernel";
  let description = [{
    Every function whose body is one attn op on the function's arguments,
    returning its results, becomes a `gpu.module` of the same name holding
    the kernels (`<name>_kernel`, and before it `<name>_states_kernel` or
    `<name>_prep_kernel`) that compute the op with bf16 tensor-core products
    (ldmatrix + mma.sync.m16n8k16, f32 accumulation) on tiles staged in
    dynamic shared memory; the function itself is removed.

    * Linear and scalar-gated attention (Dk a multiple of 64, `split-state`):
      a state pass, one thread block per batch, head and block of value
      columns, walks the chunks with its slice of the state in the warps'
      mma accumulators and writes the state entering each chunk (bf16) to a
      scratch buffer; then an output kernel, parallel over chunks, computes
      each chunk's output from its state.
    * The delta rule: a kernel parallel over chunks solves each chunk's UT
      transform into scratch buffers; then the fused chunkwise kernel (one
      thread block per batch, head and block of value columns walks the
      chunks, carrying its slice of the state in shared memory). With
      `split-delta` (Dk 64 or 128) the first kernel also applies the
      transform (W and U per chunk) and the split form follows: a state
      pass computing each chunk's corrected values, then the output kernel.
      With `split-vector-gate`, GLA takes the split form as well, its output
      kernel computing the intra-chunk scores on the tensor cores by 16-row
      sub-blocks. Other head dims and `split-state=false` use the fused
      kernel alone.
    * Softmax attention: a FlashAttention-2 style kernel (one block per 64
      or 128 queries, online softmax, causal and window blocks skipped); on
      sm_90 with bf16 inputs and head dim 128 (`wgmma`), its
      products run on warpgroup MMA (wgmma.mma_async) reading K and V from
      shared memory.

    The chunk is the op's `chunk_size` (rounded to 16, 32 or 64) shrunk
    until the kernels' shared memory fits the target.

    Each kernel takes one bare pointer per buffer: the function's arguments
    in order, then its results. How to launch it (grid, block, dynamic
    shared memory, buffers with names, roles, types and shapes) is recorded
    in the module attribute `attn.gpu_manifests`, which attn-gpu-compile
    writes out as JSON beside the PTX.
  }];
  let options = [
    Option<"targetName", "target", "std::string", /*default=*/"\"sm_90\"",
           "GPU target description (sm_80, sm_90)">,
    Option<"blockV", "block-v", "int64_t", /*default=*/"0",
           "Value columns per thread block of the linear-family kernels (16, "
           "32 or 64; 0: from the SM count, the split form's state pass at "
           "32 at least)">,
    Option<"stateRows", "state-rows", "int64_t", /*default=*/"0",
           "Rows of Dk per block of linear and scalar-gated attention's "
           "state pass (64, or 128: all of Dk up to 128, K and V read once "
           "per column block; 0: all of Dk where that gives half the SMs a "
           "block)">,
    Option<"fuseOutputs", "fuse-outputs", "std::string",
           /*default=*/"\"auto\"",
           "The state pass of linear and scalar-gated attention and of the "
           "delta rules (bf16 keys) computes each chunk's outputs too (the "
           "state in registers, no chunk-state or V_new round trip through "
           "memory; Dk up to 128, no feature map): auto (where its blocks "
           "at 32 value columns give three quarters of the SMs one), on or "
           "off">,
    Option<"splitState", "split-state", "bool", /*default=*/"true",
           "Linear and scalar-gated attention as two kernels (the state "
           "pass, then outputs parallel over chunks) where Dk is a multiple "
           "of 64; false: the fused kernel">,
    Option<"wgmma", "wgmma", "bool", /*default=*/"false",
           "On sm_90, the softmax kernel multiplies with warpgroup MMA "
           "(wgmma.mma_async, bf16 inputs, head dim 128): two warpgroups per "
           "128 query rows, a block's softmax beside the previous block's "
           "P V; not yet run on a GPU (the one-warpgroup version was correct "
           "and 2.3x slower than mma.sync on an H100, bench/gpu/NOTES.md); "
           "false: mma.sync everywhere">,
    Option<"splitDelta", "split-delta", "bool", /*default=*/"true",
           "The delta rule in the split form too (with split-state) where "
           "Dk is 64 or 128: the UT transform, W and U per chunk in "
           "parallel, a state pass, then outputs parallel over chunks; "
           "false: the fused kernel">,
    Option<"splitVectorGate", "split-vector-gate", "bool",
           /*default=*/"true",
           "With split-state, vector-gated attention (GLA) in the split form "
           "too (GlaSplitKernels.cpp); false: the fused kernel">,
    Option<"splitCpAsync", "split-cp-async", "bool", /*default=*/"true",
           "Linear and scalar-gated attention's split form loads its tiles "
           "by cp.async (state pass: a ring of 2-4 chunks in flight; output "
           "kernel: two commit groups; LinearSplitAsyncKernels.cpp); false: "
           "synchronous loads">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::gpu::GPUDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::NVVM::NVVMDialect",
    "::mlir::nvgpu::NVGPUDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def AttnExternDynamicSharedMemory
    : Pass<"attn-extern-dynamic-shared-memory", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Give the dynamic shared memory global external linkage";
  let description = [{
    convert-gpu-to-nvvm declares `gpu.dynamic_shared_memory` as an internal,
    zero-sized LLVM global in address space 3, which the NVPTX backend
    prints as a one-byte static variable: ptxas then reserves static shared
    memory and warns of out-of-bounds accesses. With external linkage it
    becomes `.extern .shared .align 16 .b8 name[];`, PTX's declaration of
    dynamic shared memory. Runs on gpu.module after convert-gpu-to-nvvm.
  }];
}

#endif // ATTN_CONVERSION_ATTNTOGPU_PASSES_TD
