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

/// Rows of Dk one block of the split form's state pass owns: 16 per warp.
inline constexpr int64_t kStateRows = 16 * kWarps;

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

/// A tile's worth of rows t0.. of a [B, T, H, D] tensor (columns d0..) read
/// into each thread's registers, to be written to shared memory later by
/// storeStagedRows: the global loads are in flight while the block works on
/// something else (software pipelining). Each thread holds a fixed share of
/// 16-byte pieces: rows * cols must be a multiple of that share times the
/// block's threads.
struct StagedRows {
  int64_t rows = 0, cols = 0, width = 1;
  SmallVector<Value> pieces; // vector<width x element> per piece
  SmallVector<Value> valid;  // i1: the piece's row is < T
};
StagedRows loadRowsToRegisters(KernelBuilder &kb, int64_t rows, int64_t cols,
                               Value src, Value b, Value t0, Value h, Value d0,
                               int64_t T);
/// Writes `staged` into `dst` (rows past T as zeros), each valid element
/// mapped by `transform` in f32.
void storeStagedRows(KernelBuilder &kb, const StagedRows &staged, SmemTile dst,
                     function_ref<Value(Value)> transform = nullptr,
                     Value rowOffset = {});
/// Whether loadRowsToRegisters takes a rows x cols tile of `src`.
bool canStageRows(int64_t rows, int64_t cols, Value src);

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
