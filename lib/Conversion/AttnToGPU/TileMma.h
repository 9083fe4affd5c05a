//===- TileMma.h - tensor-core products of shared-memory tiles ---*- C++ -*-===//
//
// C (+)= A * B on tiles in shared memory, computed by the block's warps on the
// tensor cores: operands are loaded with ldmatrix (transposing on the fly
// where a tile holds the transpose of the operand) and multiplied with
// mma.sync.m16n8k16 (bf16 x bf16 -> f32). Each warp owns 16 x (8 * n) output
// tiles and keeps their accumulators in registers across the K loop.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_LIB_CONVERSION_ATTNTOGPU_TILEMMA_H
#define ATTN_LIB_CONVERSION_ATTNTOGPU_TILEMMA_H

#include "KernelBuilder.h"

namespace mlir::attn::gpu_codegen {

/// An operand of a tile product: a bf16 tile that holds the operand itself or
/// (transposed = true) its transpose.
struct MmaOperand {
  SmemTile tile;
  bool transposed = false;
};

struct TileMmaShape {
  int64_t m, n, k; // C is m x n, the contraction has length k
};

/// Epilogue of a tile product.
struct TileMmaOptions {
  /// C += A * B (C must be f32) instead of C = A * B.
  bool accumulate = false;
  /// Store -(A * B) (with accumulate: C -= A * B).
  bool negate = false;
};

// Warp-level pieces (what emitTileMma is made of), for kernels that keep
// fragments in registers.

/// The A fragment (16 x 16 at rows m0, columns k0 of A), as 4 i32 words.
SmallVector<Value> loadA(KernelBuilder &kb, MmaOperand a, Value m0, Value k0);
/// The A fragments of the warp's 16 rows t0.. of a bf16 [B, T, H, D] tensor,
/// one per k16 step over D (4 i32 words each), read from global memory
/// without a shared-memory tile (rows past T are zero): for an A operand
/// that a kernel loads once.
SmallVector<SmallVector<Value>> loadAFromGlobal(KernelBuilder &kb, Value src,
                                                Value b, Value t0, Value h,
                                                int64_t T);
/// The B fragment (16 x 8 at rows k0, columns n0 of B), as 2 i32 words.
SmallVector<Value> loadB(KernelBuilder &kb, MmaOperand b, Value k0, Value n0);
/// The B fragments of the two n8 tiles at columns n0 and n0 + 8 (one
/// ldmatrix.x4).
std::pair<SmallVector<Value>, SmallVector<Value>>
loadB2(KernelBuilder &kb, MmaOperand b, Value k0, Value n0);
/// d = a * b + c on one m16n8k16 tile (bf16 operands); c, d: 4 f32 values.
SmallVector<Value> mma(KernelBuilder &kb, ArrayRef<Value> a, ArrayRef<Value> b,
                       ArrayRef<Value> c);
/// Row and column of accumulator element e (0..3) of the tile at (m0, n0):
/// row m0 + lane/4 (+ 8 for e >= 2), column n0 + 2 (lane % 4) + e % 2.
std::pair<Value, Value> accPosition(KernelBuilder &kb, Value m0, Value n0,
                                    int64_t e);

/// acc += a * B[k0..k0+15, 0..8n) on a row of n8 accumulator tiles kept in
/// registers (acc: 4 f32 values per tile, tile j at columns 8j..8j+7; an
/// even number of tiles), the B fragments two tiles at a time (loadB2).
void mmaAccumulateRow(KernelBuilder &kb, ArrayRef<Value> a, MmaOperand b,
                      Value k0, MutableArrayRef<Value> acc);
/// The same for several 16-row tiles at once (a[i], acc[i]: tile i), each B
/// fragment pair loaded once for all of them; the columns start at n0 of B
/// (null: 0).
void mmaAccumulateRows(KernelBuilder &kb, ArrayRef<SmallVector<Value>> a,
                       MmaOperand b, Value k0, Value n0,
                       ArrayRef<MutableArrayRef<Value>> acc);
/// f(index into acc, row, column) for every accumulator element the lane
/// holds of the nTiles n8 tiles (columns 0, 8, ..) of the 16-row tile at m0.
void forEachAccumulator(KernelBuilder &kb, Value m0, int64_t nTiles,
                        function_ref<void(int64_t, Value, Value)> f);

/// Writes the accumulators `acc` of the nTiles = acc.size() / 4 n8 tiles of
/// the 16-row tile at m0 into `dst` at rows m0.., rounded to dst's type, two
/// adjacent columns per store.
void storeAccumulators(KernelBuilder &kb, ArrayRef<Value> acc, Value m0,
                       SmemTile dst);
/// Two f32 values rounded to bf16 and packed into one i32 operand word (lo
/// in the low half), as mma.sync takes them.
Value packBf16(KernelBuilder &kb, Value lo, Value hi);

/// The accumulators of two adjacent n8 tiles (columns 8j and 8j + 8 of a
/// 16-row tile), rounded to bf16, as the A fragment of the k16 step over
/// those 16 columns: the accumulator layout of the pair is the A layout.
SmallVector<Value> accumulatorsAsA(KernelBuilder &kb, ArrayRef<Value> left,
                                   ArrayRef<Value> right);

/// The A fragment `a` with each element x replaced by f(x, c) in f32 (rounded
/// back to bf16), c = 0..3 the element's column among the lane's four:
/// 2(l%4), 2(l%4) + 1, 8 + 2(l%4), 9 + 2(l%4) (all of A's rows share them).
SmallVector<Value> mapA(KernelBuilder &kb, ArrayRef<Value> a,
                        function_ref<Value(Value, int64_t)> f);
/// The same with f(x, rowHalf, c) for maps that depend on the row too:
/// rowHalf 0 for the lane's row l/4, 1 for l/4 + 8.
SmallVector<Value> mapAByRow(KernelBuilder &kb, ArrayRef<Value> a,
                             function_ref<Value(Value, int64_t, int64_t)> f);

/// C = A * B (or as `options` say). m and k must be multiples of 16, n of 8;
/// C is f32, or bf16 without `accumulate`. Does not synchronize: the caller
/// puts barriers between producers and consumers of the tiles.
void emitTileMma(KernelBuilder &kb, SmemTile c, MmaOperand a, MmaOperand b,
                 TileMmaShape shape, TileMmaOptions options = {});

} // namespace mlir::attn::gpu_codegen

#endif // ATTN_LIB_CONVERSION_ATTNTOGPU_TILEMMA_H
