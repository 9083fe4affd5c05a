//===- Kernels.h - the attn GPU kernel bodies --------------------*- C++ -*-===//
#ifndef ATTN_LIB_CONVERSION_ATTNTOGPU_KERNELS_H
#define ATTN_LIB_CONVERSION_ATTNTOGPU_KERNELS_H

#include "GpuProblem.h"
#include "KernelBuilder.h"
#include "TileIO.h"

#include "llvm/ADT/StringMap.h"

namespace mlir::attn::gpu_codegen {

/// The kernel's buffer arguments by name (q, k, v, g, beta, initial_state, o,
/// final_state); absent optional buffers are missing.
using KernelArgs = llvm::StringMap<Value>;

/// The fused chunkwise kernel of the linear family: one thread block per
/// (batch, head, block of Dv columns) walks the chunks, keeping its slice of
/// the state in shared memory (f32, with a bf16 copy for the tensor cores).
void emitLinearFamilyKernel(KernelBuilder &kb, const GpuProblem &p,
                            const KernelArgs &args);

/// The split form of linear and scalar-gated attention (GpuProblem::
/// splitsState), two kernels. The state pass: one block per (block of Dv
/// columns, batch * head, block of 64 Dk rows) walks the chunks with its
/// state slice in the warps' mma accumulators, writing the state entering
/// each chunk (bf16) to the scratch buffer chunk_states
/// [B * Hq, N * Dk, 1, Dv] and the final state.
void emitLinearStatesKernel(KernelBuilder &kb, const GpuProblem &p,
                            const KernelArgs &args);
/// The output pass, parallel over (block of Dv columns, batch * head,
/// chunk): each chunk's output from its entering state.
void emitLinearOutputKernel(KernelBuilder &kb, const GpuProblem &p,
                            const KernelArgs &args);

/// The same two kernels with cp.async tile loads (GpuProblem::splitCpAsync):
/// the state pass through a ring of GpuProblem::stateStages chunks, the
/// output kernel in two commit groups.
void emitLinearStatesAsyncKernel(KernelBuilder &kb, const GpuProblem &p,
                                 const KernelArgs &args);
void emitLinearOutputAsyncKernel(KernelBuilder &kb, const GpuProblem &p,
                                 const KernelArgs &args);
/// The cp.async state pass that also computes each chunk's outputs
/// (GpuProblem::fusesOutputs): one kernel, no chunk_states. The delta
/// rule's is emitLinearStatesKernel's (after the prep kernel).
void emitLinearStateOutputsKernel(KernelBuilder &kb, const GpuProblem &p,
                                  const KernelArgs &args);
/// The split form of gated linear attention (a vector gate): the same two
/// kernels and scratch buffer, with the state's rows decaying per dimension
/// in the state pass and the intra-chunk scores on the tensor cores by
/// 16-row sub-blocks in the output kernel (GlaSplitKernels.cpp).
void emitGlaStatesKernel(KernelBuilder &kb, const GpuProblem &p,
                         const KernelArgs &args);
void emitGlaOutputKernel(KernelBuilder &kb, const GpuProblem &p,
                         const KernelArgs &args);

/// Rows of Dk one block of the split form's state pass owns: 16 per warp.
inline constexpr int64_t kStateRows = 16 * kDefaultWarps;

/// The delta rule's first kernel, parallel over (chunk, batch * head): the
/// UT transform's T = (I + L)^-1 of every chunk, scaled by beta and by
/// beta e^b, into the scratch buffers t_beta and t_beta_decay that the
/// chunkwise kernel reads.
void emitDeltaPrepKernel(KernelBuilder &kb, const GpuProblem &p,
                         const KernelArgs &args);

/// FlashAttention-2 style softmax attention: one thread block per (query
/// block of GpuProblem::softmaxBlockRows, batch, head) walks the visible
/// key blocks (GpuProblem::chunk keys each) with an online softmax.
void emitSoftmaxKernel(KernelBuilder &kb, const GpuProblem &p,
                       const KernelArgs &args);

} // namespace mlir::attn::gpu_codegen

#endif // ATTN_LIB_CONVERSION_ATTNTOGPU_KERNELS_H
