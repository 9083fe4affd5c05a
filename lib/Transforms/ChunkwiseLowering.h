//===- ChunkwiseLowering.h - shared by the chunkwise lowerings -*- C++ -*-===//
//
// attn-lower-chunkwise is split by form: LowerChunkwise.cpp holds the
// patterns and the pass, ChunkwiseLinear.cpp the linear family's loop over
// chunks, ChunkwiseDeltaRule.cpp the delta rule's WY/UT transform inside it,
// ChunkwiseSoftmax.cpp softmax attention's FlashAttention-2 tiling.
// This header holds what they share: the scalar builders of the linalg
// bodies and the entry points of the forms.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_LIB_TRANSFORMS_CHUNKWISELOWERING_H
#define ATTN_LIB_TRANSFORMS_CHUNKWISELOWERING_H

#include "LinalgBuilder.h"
#include "LoweringUtils.h"

#include "attn/Dialect/Attn/IR/Attn.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <limits>

namespace mlir::attn {

inline constexpr double kNegInf = -std::numeric_limits<double>::infinity();

//===----------------------------------------------------------------------===//
// Scalar builders for the bodies of the generics
//===----------------------------------------------------------------------===//

inline Value idx(OpBuilder &b, Location loc, unsigned dim) {
  return linalg::IndexOp::create(b, loc, dim);
}

inline Value exp(OpBuilder &b, Location loc, Value x) {
  return math::ExpOp::create(b, loc, x);
}
/// Sums in these forms may be reassociated and multiply-adds contracted:
/// that lets LLVM vectorize the dot products and use FMA. No flag assumes
/// away infinities: masked exponents are -inf on purpose.
inline constexpr arith::FastMathFlags kFastMath =
    arith::FastMathFlags::reassoc | arith::FastMathFlags::contract;
inline Value mul(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::MulFOp::create(b, loc, x, y, kFastMath);
}
inline Value add(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::AddFOp::create(b, loc, x, y, kFastMath);
}
inline Value sub(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::SubFOp::create(b, loc, x, y, kFastMath);
}
inline Value cmpIdx(OpBuilder &b, Location loc, arith::CmpIPredicate p,
                    Value x, Value y) {
  return arith::CmpIOp::create(b, loc, p, x, y);
}
inline Value select(OpBuilder &b, Location loc, Value c, Value x, Value y) {
  return arith::SelectOp::create(b, loc, c, x, y);
}
inline Value cst(OpBuilder &b, Location loc, double v) {
  return LinalgBuilder::constF32(b, loc, v);
}
/// The body of a contraction: out + x * y, in f32.
inline Value mulAcc(OpBuilder &b, Location loc, ValueRange a) {
  return add(b, loc, a[2],
             mul(b, loc, LinalgBuilder::toF32(b, loc, a[0]),
                 LinalgBuilder::toF32(b, loc, a[1])));
}
/// a * b (+ c) on OpFoldResults, folded when static.
inline OpFoldResult mulIdx(OpBuilder &b, Location loc, OpFoldResult x,
                           OpFoldResult y) {
  AffineExpr d0, s0;
  bindDims(b.getContext(), d0);
  bindSymbols(b.getContext(), s0);
  return affine::makeComposedFoldedAffineApply(b, loc, d0 * s0, {x, y});
}

//===----------------------------------------------------------------------===//
// The forms
//===----------------------------------------------------------------------===//

/// Per-chunk values shared by the pieces below; chunk inputs keep the
/// [B, C, H, ...] layout of the op, everything computed is [B, H, C, ...].
struct Chunk {
  Value q, k, v, gate, beta;
  Value cum;  // b_t: [B,H,C] or [B,H,C,Dk]; null without a gate
  Value last; // b_C: [B,H] or [B,H,Dk]; null without a gate
};

/// The delta rule's WY/UT transform of a chunk ([B, H, ...] f32): the key
/// products K K^T, A = (I + L)^-1, U0 = A diag(beta) V and
/// W = A diag(beta exp(b)) K.
struct DeltaWY {
  Value kk, inv, u0, w;
};

/// The delta rule's gradients, f32, in the op's [B, T, H, ...] layout (dg
/// null without a gate, dInitialState always set).
struct DeltaRuleGrads {
  Value dq, dk, dv, dbeta, dg, dInitialState;
};

/// Emits the linear family's loop over chunks, one piece of the chunk's math
/// per method (ChunkwiseLinear.cpp; the delta rule's emitDeltaValues in
/// ChunkwiseDeltaRule.cpp).
class LinearChunkEmitter {
public:
  LinearChunkEmitter(LinalgBuilder &lb, const LinearFamilyProblem &p, Value scale)
      : lb(lb), p(p), scale(scale), loc(lb.getLoc()) {
    B = lb.size(p.q, 0);
    H = lb.size(p.q, 2);
    Dk = lb.size(p.q, 3);
    Dv = lb.size(p.v, 3);
  }

  /// Emits the loop over chunks of `chunk` (possibly T itself); returns
  /// {o, final state}.
  std::pair<Value, Value> emit(OpFoldResult chunk);

  /// The delta rule's backward in chunks of `chunk` (ChunkwiseDeltaRuleGrad
  /// .cpp): a forward loop that keeps each chunk's start state, then a
  /// reverse loop carrying dS. `dO` is the output's gradient already times
  /// the scale; `dFinalState` may be null. Needs static T and one k/v head
  /// per query head.
  DeltaRuleGrads emitDeltaBackward(int64_t chunk, Value dO, Value dFinalState);

private:
  AffineMap m(unsigned n, ArrayRef<unsigned> dims) { return lb.proj(n, dims); }
  Value phi(OpBuilder &b, Location l, Value x) {
    return featureOf(b, l, x, p.featureMap);
  }
  /// True iff key s is visible from query t (loop dims tDim, sDim);
  /// `strict` excludes s == t.
  Value visible(OpBuilder &b, Location l, unsigned tDim, unsigned sDim,
                bool strict = false) {
    return cmpIdx(b, l,
                  strict ? arith::CmpIPredicate::ult : arith::CmpIPredicate::ule,
                  idx(b, l, sDim), idx(b, l, tDim));
  }

  void emitDecays(Chunk &c);
  Value emitIntraScores(const Chunk &c);
  DeltaWY emitDeltaWY(const Chunk &c);
  Value emitDeltaValues(const DeltaWY &wy, Value s);
  /// One chunk's gradients given its start state s0 and the gradient dE of
  /// its end state: {dq, dk, dv, dbeta, dg} [B, H, C, ...] and dS0.
  std::pair<DeltaRuleGrads, Value> emitDeltaChunkGrad(const Chunk &c, Value dO,
                                                      Value s0, Value dE);
  Value emitOutputNumerator(const Chunk &c, Value s, Value scores, Value u);
  Value emitDenominator(const Chunk &c, Value z, Value scores);
  Value emitStateUpdate(const Chunk &c, Value s, Value u);
  Value emitNormalizerUpdate(const Chunk &c, Value z);

  LinalgBuilder &lb;
  const LinearFamilyProblem &p;
  Value scale;
  Location loc;
  OpFoldResult B, H, Dk, Dv, C;
};

/// Softmax attention tiled with an online softmax (ChunkwiseSoftmax.cpp):
/// query blocks of `queryBlock` rows, key blocks of `keyBlock` keys; returns o.
Value emitTiledSoftmax(LinalgBuilder &lb, SoftmaxAttentionOp op,
                       int64_t queryBlock, int64_t keyBlock);

} // namespace mlir::attn

#endif // ATTN_LIB_TRANSFORMS_CHUNKWISELOWERING_H
