//===- WarpgroupMma.h - Hopper warpgroup MMA on shared tiles -----*- C++ -*-===//
//
// sm_90a's wgmma.mma_async for kernels whose block is one warpgroup (the 4
// warps of one): A, 64 rows, comes from registers, each warp giving its
// own 16 rows in the mma.sync A layout (loadA, accumulatorsAsA); B is read
// by the tensor cores from shared memory through a matrix descriptor; the
// f32 accumulators have, per warp and its 16 rows, the mma.sync layout of
// n8 tiles (tile j at elements 4j..4j+3), so the code around a product is
// the same as around mmaAccumulateRow.
//
// B tiles are kept in wgmma's canonical layout without swizzling: 8 x 8
// bf16 "core matrices" of 128 contiguous bytes, row-group major. cp.async
// fills it 16 bytes (one core-matrix row) at a time.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_LIB_CONVERSION_ATTNTOGPU_WARPGROUPMMA_H
#define ATTN_LIB_CONVERSION_ATTNTOGPU_WARPGROUPMMA_H

#include "KernelBuilder.h"

namespace mlir::attn::gpu_codegen {

/// A rows x cols bf16 tile of core matrices: element (r, c) at
/// ((r / 8) * (cols / 8) + c / 8) * 64 + (r % 8) * 8 + c % 8.
struct CoreMatrixTile {
  Value mem; // memref<rows/8 x cols/8 x 8 x 8 x bf16, workgroup>
  int64_t rows = 0, cols = 0;
};
CoreMatrixTile allocCoreMatrixTile(KernelBuilder &kb, int64_t rows,
                                   int64_t cols);

/// asyncCopyRowsToTile into a core-matrix tile, at its rows dstRow0..
SmallVector<Value> asyncCopyRowsToCoreMatrices(
    KernelBuilder &kb, CoreMatrixTile dst, Value dstRow0, int64_t rows,
    Value src, Value b, Value t0, Value h, Value d0, int64_t T,
    Value enable = {});

/// fence.proxy.async.shared::cta: makes this thread's earlier writes to
/// shared memory (cp.async's included) visible to the tensor cores' reads
/// that follow the next barrier.
void fenceAsyncProxy(KernelBuilder &kb);

/// How a product reads B from its core-matrix tile.
enum class WgmmaB {
  /// The tile holds B's transpose, N rows of K (K-major): K for Q K^T.
  Transposed,
  /// The tile holds B, K rows of N (N-major): V for P V.
  Direct,
};

/// acc = A B (`acc` empty) or acc + A B, over K = 16 * a.size(): a[s] is
/// the warp's A fragment of k16 step s; B starts at row `row0` of `tile`
/// (a multiple of 8) and is n wide (Transposed: rows row0..row0+n of the
/// tile; Direct: rows row0..row0+K, all n = tile.cols columns). Returns
/// the n / 2 accumulators of the lane, complete (warpgroupMmaIssue, then
/// warpgroupMmaWait with nothing pending).
SmallVector<Value> warpgroupMma(KernelBuilder &kb,
                                ArrayRef<SmallVector<Value>> a,
                                CoreMatrixTile tile, WgmmaB layout, Value row0,
                                int64_t n, ArrayRef<Value> acc);

/// The products of warpgroupMma issued as one wgmma commit group and not
/// waited for: the accumulators are in flight (no instruction may read or
/// write them, nor the A words, until warpgroupMmaWait says they are done),
/// so that the warpgroup computes something else meanwhile.
struct WgmmaGroup {
  SmallVector<Value> acc;   // in flight
  SmallVector<Value> words; // A's words, read by the tensor cores until done
};
WgmmaGroup warpgroupMmaIssue(KernelBuilder &kb,
                             ArrayRef<SmallVector<Value>> a,
                             CoreMatrixTile tile, WgmmaB layout, Value row0,
                             int64_t n, ArrayRef<Value> acc);
/// wgmma.wait_group `pending`: waits until at most `pending` of the
/// warpgroup's commit groups are in flight, the last ones issued; `group`
/// must be older than those. Returns its accumulators, complete.
SmallVector<Value> warpgroupMmaWait(KernelBuilder &kb, const WgmmaGroup &group,
                                    int64_t pending);

} // namespace mlir::attn::gpu_codegen

#endif // ATTN_LIB_CONVERSION_ATTNTOGPU_WARPGROUPMMA_H
