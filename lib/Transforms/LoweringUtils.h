//===- LoweringUtils.h - pieces every attn lowering shares -------*- C++ -*-===//
#ifndef ATTN_LIB_TRANSFORMS_LOWERINGUTILS_H
#define ATTN_LIB_TRANSFORMS_LOWERINGUTILS_H

#include "LinalgBuilder.h"

#include "attn/Dialect/Attn/IR/Attn.h"

namespace mlir::attn {

/// phi(x) of linear attention, on an f32 scalar.
Value applyFeatureMap(OpBuilder &b, Location loc, Value x, FeatureMap fm);

/// phi'(x), the feature map's derivative, on an f32 scalar (at 0: relu's
/// right derivative is taken as 0, elu + 1's is 1 from either side).
Value applyFeatureMapDerivative(OpBuilder &b, Location loc, Value x,
                                FeatureMap fm);

/// phi(toF32(x)): the feature map of an input element of any float type.
inline Value featureOf(OpBuilder &b, Location loc, Value x, FeatureMap fm) {
  return applyFeatureMap(b, loc, LinalgBuilder::toF32(b, loc, x), fm);
}

/// The scale as an f32 value: the attribute, or 1/sqrt(Dk) (computed at run
/// time when Dk is dynamic).
Value emitScale(LinalgBuilder &lb, AttentionOpInterface op);

/// o = scale * num, or with normalization (scale * num) / (scale * den), in
/// `outType`. num has rank r, den (if any) the same shape without the last
/// dimension.
Value emitOutput(LinalgBuilder &lb, Value num, Value den, Value scale,
                 Type outType);

/// The same written into `dest` (whose element type is the output's): the
/// iteration space is dest's, num and den are read through `numMap` and
/// `denMap` (a layout change on the way out costs no extra pass).
Value emitOutputInto(LinalgBuilder &lb, Value num, AffineMap numMap, Value den,
                     AffineMap denMap, Value scale, Value dest);

/// The element type of the op's output o.
inline Type outputElementType(AttentionOpInterface op) {
  return cast<ShapedType>(op.getO().getType()).getElementType();
}

/// What distinguishes the members of the linear family, as every lowering
/// of them needs it.
struct LinearFamilyProblem {
  AttentionOpInterface op;
  Value q, k, v;
  Value initialState; // [B,H,Dk,Dv] f32 or null
  FeatureMap featureMap = FeatureMap::Identity;
  bool normalize = false;
  bool causal = true;
  Value gate; // [B,T,H] (scalar) or [B,T,H,Dk] (vector) log-decay, or null
  Value beta; // [B,T,H] for the delta rule, or null

  /// The description of a linear-family op (null `op` for softmax). A
  /// FAVOR+ feature map is applied here, with `lb`: q and k become the f32
  /// features phi(q), phi(k) [B, T, H, m] and the feature map identity.
  static LinearFamilyProblem describe(LinalgBuilder &lb,
                                      AttentionOpInterface op);
  bool vectorGate() const {
    return gate && cast<ShapedType>(gate.getType()).getRank() == 4;
  }
};

/// Replaces q and k by their features phi(q), phi(k) (f32, computed once
/// for the whole sequence) and the feature map by identity, so that the
/// products of a lowering are plain contractions.
void materializeFeatures(LinalgBuilder &lb, LinearFamilyProblem &p);

/// The f32 state [B, H, Dk, Dv] a lowering starts from and updates in
/// place: a copy of the initial state (never the argument itself), or zeros.
Value initialStateOrZeros(LinalgBuilder &lb, const LinearFamilyProblem &p);

/// FAVOR+ random features of x [B, T, H, Dk] with W [m, Dk]:
/// exp(W x - |x|^2 / 2) / sqrt(m) as an f32 tensor [B, T, H, m].
Value emitFavorFeatures(LinalgBuilder &lb, Value x, Value w);

/// Fails with a diagnostic when `op` has grouped heads (Hq != Hkv) or
/// packed sequences (cu_seqlens): the lowerings see one k/v head per query
/// head and one sequence; attn-parallelize-heads splits both first (the attn
/// pipelines run it).
LogicalResult checkLowerable(AttentionOpInterface op);

/// Replaces `op`'s results with {o, final state}, cast to the result types
/// where their static sizes differ; the final state is dropped when the op
/// does not return it (and may be null then).
void replaceWithOutputAndState(RewriterBase &rewriter, Operation *op, Value o,
                               Value finalState);

} // namespace mlir::attn

#endif // ATTN_LIB_TRANSFORMS_LOWERINGUTILS_H
