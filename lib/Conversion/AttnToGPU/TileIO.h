//===- TileIO.h - global memory <-> shared-memory tiles ---------*- C++ -*-===//
//
// Moving rows of the [B, T, H, D] (and per-step [B, T, H]) tensors between
// global memory and the kernels' shared-memory tiles, 16 bytes a thread
// where the row allows: synchronously (loadRowsToTile), staged through
// registers so that the loads are in flight while the block computes
// (loadRowsToRegisters, then storeStagedRows), or straight into shared
// memory with cp.async (asyncCopyRowsToTile; fetchRowsToTile picks cp.async
// where the bytes need no conversion).
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
bool canStageRows(int64_t rows, int64_t cols, Value src, int64_t threads);

/// Whether asyncCopyRowsToTile takes a rows x cols tile of `src` into a
/// tile of `tileType` (null: bf16): src holds that type (cp.async copies
/// bytes, it cannot convert), bf16 or f32, and the tile's 16-byte pieces
/// spread evenly over the block's `threads`.
bool canCopyRowsAsync(int64_t rows, int64_t cols, Value src, int64_t threads,
                      Type tileType = {});
/// Issues cp.async copies (16 bytes each, through L2 only) of `rows` rows
/// t0.. of a bf16 or f32 [B, T, H, D] tensor (columns d0..) into `dst` at rows
/// dstRow0..; rows past T, and every row when `enable` is false, are
/// zero-filled without reading global memory. Returns the copies' tokens
/// for nvgpu.device_async_create_group; the data may be read after
/// waitAsyncCopies and a barrier.
SmallVector<Value> asyncCopyRowsToTile(KernelBuilder &kb, SmemTile dst,
                                       Value dstRow0, int64_t rows, Value src,
                                       Value b, Value t0, Value h, Value d0,
                                       int64_t T, Value enable = {});
/// Where a 16-byte piece of a tile lands: the indices in the destination
/// memref of the 8 (f32: 4) elements of tile row `row` from column `col` (a
/// multiple of 8, or 4), contiguous there.
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
/// Waits until at most `pending` of this thread's most recently committed
/// groups are still in flight (cp.async.wait_group pending): with 0, `group`
/// and every group before it have landed. The wait is by count; `group`
/// only orders it after those copies in the IR.
void waitAsyncCopies(KernelBuilder &kb, Value group, int32_t pending = 0);

/// `rows` rows t0.. of a [B, T, H, D] tensor (columns d0..) into `dst` at
/// rows dstRow0.., rows past T zero: as cp.async copies where
/// canCopyRowsAsync allows (the copies' tokens are returned; the rows may
/// be read after waitAsyncCopies and a barrier), else by synchronous loads
/// rounding to dst's type (nothing is returned; the rows are written when
/// this returns, readable after a barrier).
SmallVector<Value> fetchRowsToTile(KernelBuilder &kb, SmemTile dst,
                                   Value dstRow0, int64_t rows, Value src,
                                   Value b, Value t0, Value h, Value d0,
                                   int64_t T);
/// `count` steps (a thread each) t0.. of a per-step [B, T, H] tensor into
/// row `dstRow` of an f32 tile (step t0 + i at column i), 0 past T. With `async` and an
/// f32 source as 4-byte cp.async copies, which have no tokens (a branch
/// issues them): they join the thread's next commit group, which the caller
/// commits with other copies. Else by synchronous loads. Returns whether
/// the copies are asynchronous.
bool fetchStepsToRow(KernelBuilder &kb, SmemTile dst, Value dstRow,
                     int64_t count, Value src, Value b, Value t0, Value h,
                     int64_t T, bool async);
/// dst[indices] and the element after it in the last dimension = lo, hi
/// rounded to dst's type: one 2-element vector store (the columns of an mma
/// accumulator pair; the first index of the last dimension is even).
void storePair(KernelBuilder &kb, Value lo, Value hi, Value dst,
               ValueRange indices);
/// Writes a warp's mma accumulators of the acc.size() / 4 n8 tiles of a
/// 16-row tile (4 per tile, as mma.sync leaves them), rounded to bf16, to
/// the bf16 memref `dst` 16 bytes a lane: the four lanes of a row trade
/// their column pairs by shuffles so that lane q holds columns 8t..8t+7 of
/// tile t = 4g + q, and a warp's store covers 8 rows x 64 bytes (whole
/// 32-byte sectors, where pair stores leave half sectors). `at(row, col)`:
/// dst's indices of row 0..15 of the tile, column col (a multiple of 8).
/// The number of tiles is a multiple of 4.
void storeAccumulatorRows(KernelBuilder &kb, ArrayRef<Value> acc, Value dst,
                          RowPieceIndex at);
/// Every element x of the rows x cols tile replaced by f(x) (in f32,
/// rounded back to the tile's type), 16 bytes a thread at a time.
void mapTileInPlace(KernelBuilder &kb, SmemTile tile,
                    function_ref<Value(Value)> f);

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
