//===- Kernels.h - the attn GPU kernel bodies --------------------*- C++ -*-===//
#ifndef ATTN_LIB_CONVERSION_ATTNTOGPU_KERNELS_H
#define ATTN_LIB_CONVERSION_ATTNTOGPU_KERNELS_H

#include "GpuProblem.h"
#include "KernelBuilder.h"

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

/// The delta rule's first kernel, parallel over (chunk, batch * head): the
/// UT transform's T = (I + L)^-1 of every chunk, scaled by beta and by
/// beta e^b, into the scratch buffers t_beta and t_beta_decay that the
/// chunkwise kernel reads.
void emitDeltaPrepKernel(KernelBuilder &kb, const GpuProblem &p,
                         const KernelArgs &args);

/// Query rows of a softmax thread block (16 per warp) and keys per block.
inline constexpr int64_t kSoftmaxBlockRows = 16 * kWarps;
inline constexpr int64_t kSoftmaxBlockKeys = 64;

/// FlashAttention-2 style softmax attention: one thread block per (query
/// block, batch, head) walks the visible key blocks with an online softmax.
void emitSoftmaxKernel(KernelBuilder &kb, const GpuProblem &p,
                       const KernelArgs &args);

/// Shared by both: rows t0.. of a [B, T, H, D] tensor (columns d0..) into a
/// bf16 tile, rows past T zero; `transform` maps each valid f32 element.
void loadRowsToTile(KernelBuilder &kb, SmemTile dst, Value src, Value b,
                    Value t0, Value h, Value d0, int64_t T,
                    function_ref<Value(Value)> transform = nullptr);

/// Rows t0.. of a per-step [B, T, H] tensor (gates, beta) into column 0 of an
/// f32 tile, rows past T zero; one thread a row.
void loadRowScalarsToTile(KernelBuilder &kb, SmemTile dst, Value src, Value b,
                          Value t0, Value h, int64_t T);

/// rows t0.. (those < T) of the f32 tile into [B, T, H, D] (columns d0..),
/// each element mapped by `transform(value, row)` and rounded to dst's type.
void storeRowsFromTile(KernelBuilder &kb, SmemTile src, Value dst, Value b,
                       Value t0, Value h, Value d0, int64_t T,
                       function_ref<Value(Value, Value)> transform = nullptr);

/// dst = src rounded to dst's element type (an f32 tile to a bf16 one of
/// the same size), 4 elements per access.
void convertTile(KernelBuilder &kb, SmemTile src, SmemTile dst);

} // namespace mlir::attn::gpu_codegen

#endif // ATTN_LIB_CONVERSION_ATTNTOGPU_KERNELS_H
