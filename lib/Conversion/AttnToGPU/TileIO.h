//===- TileIO.h - global memory <-> shared-memory tiles ---------*- C++ -*-===//
//
// Moving rows of the [B, T, H, D] (and per-step [B, T, H]) tensors between
// global memory and the kernels' shared-memory tiles, 16 bytes a thread
// where the row allows: synchronously (loadRowsToTile) or staged through
// registers so that the loads are in flight while the block computes
// (loadRowsToRegisters, then storeStagedRows).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_LIB_CONVERSION_ATTNTOGPU_TILEIO_H
#define ATTN_LIB_CONVERSION_ATTNTOGPU_TILEIO_H

#include "KernelBuilder.h"

namespace mlir::attn::gpu_codegen {

/// Rows t0.. of a [B, T, H, D] tensor (columns d0..) into a
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

/// Whether asyncCopyRowsToTile takes a rows x cols tile of `src`: src holds
/// bf16 (the tiles' type: cp.async copies bytes, it cannot convert) and the
/// tile's 16-byte pieces spread evenly over the block's threads.
bool canCopyRowsAsync(int64_t rows, int64_t cols, Value src);
/// Issues cp.async copies (16 bytes each, through L2 only) of `rows` rows
/// t0.. of a bf16 [B, T, H, D] tensor (columns d0..) into `dst` at rows
/// dstRow0..; rows past T, and every row when `enable` is false, are
/// zero-filled without reading global memory. Returns the copies' tokens
/// for nvgpu.device_async_create_group; the data may be read after
/// waitAsyncCopies and a barrier.
SmallVector<Value> asyncCopyRowsToTile(KernelBuilder &kb, SmemTile dst,
                                       Value dstRow0, int64_t rows, Value src,
                                       Value b, Value t0, Value h, Value d0,
                                       int64_t T, Value enable = {});
/// Where a 16-byte piece of a tile lands: the indices in the destination
/// memref of the 8 elements of tile row `row` from column `col` (a multiple
/// of 8), contiguous there.
using RowPieceIndex = function_ref<SmallVector<Value>(Value row, Value col)>;
/// asyncCopyRowsToTile into any shared-memory layout: rows x cols of the
/// tile land in `dst` where `dstIndex` says. Consecutive threads copy
/// `rowGroup` rows of one column of pieces, then the next column (1: along
/// the row), so that a warp's writes can fall in different banks.
SmallVector<Value> asyncCopyRows(KernelBuilder &kb, Value dst,
                                 RowPieceIndex dstIndex, int64_t rows,
                                 int64_t cols, Value src, Value b, Value t0,
                                 Value h, Value d0, int64_t T,
                                 Value enable = {}, int64_t rowGroup = 1);
/// Commits the copies `tokens` as one group (cp.async.commit_group).
Value commitAsyncCopies(KernelBuilder &kb, ArrayRef<Value> tokens);
/// Waits until this thread's copies of `group` and every group before it
/// have landed (cp.async.wait_group 0).
void waitAsyncCopies(KernelBuilder &kb, Value group);

/// Rows t0.. of a per-step [B, T, H] tensor (gates, beta) into column 0 of an
/// f32 tile, rows past T zero; one thread a row.
void loadRowScalarsToTile(KernelBuilder &kb, SmemTile dst, Value src, Value b,
                          Value t0, Value h, int64_t T);

/// rows t0.. (those < T) of the f32 or bf16 tile into [B, T, H, D] (columns
/// d0..), each element mapped by `transform(value, row)` in f32 and rounded
/// to dst's type.
void storeRowsFromTile(KernelBuilder &kb, SmemTile src, Value dst, Value b,
                       Value t0, Value h, Value d0, int64_t T,
                       function_ref<Value(Value, Value)> transform = nullptr);

/// dst = src rounded to dst's element type (an f32 tile to a bf16 one of
/// the same size), 4 elements per access.
void convertTile(KernelBuilder &kb, SmemTile src, SmemTile dst);

} // namespace mlir::attn::gpu_codegen

#endif // ATTN_LIB_CONVERSION_ATTNTOGPU_TILEIO_H
