//===- LoweringUtils.cpp - pieces every attn lowering shares --------------===//
#include "LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::attn;

/// phi(x) of linear attention, on an f32 scalar.
Value mlir::attn::applyFeatureMap(OpBuilder &b, Location loc, Value x, FeatureMap fm) {
  switch (fm) {
  case FeatureMap::Identity:
    return x;
  case FeatureMap::Relu:
    return arith::MaximumFOp::create(b, loc, x,
                                     LinalgBuilder::constF32(b, loc, 0.0));
  case FeatureMap::Favor:
    // The features depend on the whole vector x: LinearFamilyProblem
    // computes them up front (emitFavorFeatures), leaving identity here.
    llvm_unreachable("FAVOR+ features are materialized by describe()");
  case FeatureMap::EluPlusOne: {
    // elu(x) + 1 = x + 1 for x > 0, exp(x) otherwise.
    Value zero = LinalgBuilder::constF32(b, loc, 0.0);
    Value one = LinalgBuilder::constF32(b, loc, 1.0);
    Value pos = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x,
                                      zero);
    Value xp1 = arith::AddFOp::create(b, loc, x, one);
    Value ex = math::ExpOp::create(b, loc, x);
    return arith::SelectOp::create(b, loc, pos, xp1, ex);
  }
  }
  llvm_unreachable("unknown feature map");
}

Value mlir::attn::applyFeatureMapDerivative(OpBuilder &b, Location loc,
                                            Value x, FeatureMap fm) {
  Value zero = LinalgBuilder::constF32(b, loc, 0.0);
  Value one = LinalgBuilder::constF32(b, loc, 1.0);
  Value pos =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, zero);
  switch (fm) {
  case FeatureMap::Identity:
    return one;
  case FeatureMap::Relu:
    return arith::SelectOp::create(b, loc, pos, one, zero);
  case FeatureMap::EluPlusOne:
    return arith::SelectOp::create(b, loc, pos, one,
                                   math::ExpOp::create(b, loc, x));
  case FeatureMap::Favor:
    break;
  }
  llvm_unreachable("no derivative of this feature map");
}

/// The scale as an f32 value: the attribute, or 1/sqrt(Dk) (computed at run
/// time when Dk is dynamic).
Value mlir::attn::emitScale(LinalgBuilder &lb, AttentionOpInterface op) {
  OpBuilder &b = lb.builder();
  Location loc = lb.getLoc();
  if (std::optional<double> s = op.getStaticScale())
    return LinalgBuilder::constF32(b, loc, *s);
  Value dk = tensor::DimOp::create(b, loc, op.getQ(), 3);
  Value dkI = arith::IndexCastOp::create(b, loc, b.getI64Type(), dk);
  Value dkF = arith::SIToFPOp::create(b, loc, b.getF32Type(), dkI);
  return math::RsqrtOp::create(b, loc, dkF);
}

/// o = scale * num, or with normalization (scale * num) / (scale * den). num
/// has rank r, den (if any) the same shape without the last dimension.
Value mlir::attn::emitOutput(LinalgBuilder &lb, Value num, Value den,
                             Value scale, Type outType) {
  unsigned r = cast<ShapedType>(num.getType()).getRank();
  SmallVector<unsigned> all, lead;
  for (unsigned i = 0; i < r; ++i) {
    all.push_back(i);
    if (i + 1 < r)
      lead.push_back(i);
  }
  return emitOutputInto(lb, num, lb.proj(r, all), den, lb.proj(r, lead),
                        scale, lb.empty(lb.sizes(num), outType));
}

Value mlir::attn::emitOutputInto(LinalgBuilder &lb, Value num, AffineMap numMap,
                                 Value den, AffineMap denMap, Value scale,
                                 Value dest) {
  SmallVector<Value> ins{num};
  SmallVector<AffineMap> maps{numMap};
  if (den) {
    ins.push_back(den);
    maps.push_back(denMap);
  }
  unsigned r = cast<ShapedType>(dest.getType()).getRank();
  maps.push_back(lb.builder().getMultiDimIdentityMap(r));
  Type outType = cast<ShapedType>(dest.getType()).getElementType();
  return lb.generic(ins, dest, maps, {},
                    [&](OpBuilder &b, Location loc, ValueRange a) {
                      Value o = arith::MulFOp::create(b, loc, scale, a[0]);
                      if (den) {
                        Value d = arith::MulFOp::create(b, loc, scale, a[1]);
                        o = arith::DivFOp::create(b, loc, o, d);
                      }
                      return LinalgBuilder::fromF32(b, loc, o, outType);
                    });
}

Value mlir::attn::emitFavorFeatures(LinalgBuilder &lb, Value x, Value w) {
  OpBuilder &b = lb.builder();
  Location loc = lb.getLoc();
  OpFoldResult B = lb.size(x, 0), T = lb.size(x, 1), H = lb.size(x, 2),
               M = lb.size(w, 0);
  auto mulAdd = [](OpBuilder &bb, Location l, ValueRange a) {
    Value p = arith::MulFOp::create(bb, l, LinalgBuilder::toF32(bb, l, a[0]),
                                    LinalgBuilder::toF32(bb, l, a[1]));
    return arith::AddFOp::create(bb, l, a.back(), p);
  };
  // Dims (b, t, h, r, i): wx[b,t,h,r] = sum_i W[r,i] x[b,t,h,i].
  Value wx = lb.contraction(
      {w, x}, lb.filled({B, T, H, M}, 0.0),
      {lb.proj(5, {3, 4}), lb.proj(5, {0, 1, 2, 4}), lb.proj(5, {0, 1, 2, 3})},
      mulAdd);
  // Dims (b, t, h, i): sq[b,t,h] = sum_i x[b,t,h,i]^2.
  Value sq = lb.generic({x, x}, lb.filled({B, T, H}, 0.0),
                        {lb.proj(4, {0, 1, 2, 3}), lb.proj(4, {0, 1, 2, 3}),
                         lb.proj(4, {0, 1, 2})},
                        {3}, mulAdd);
  // 1 / sqrt(m), at run time when m is dynamic.
  Value mIdx = getValueOrCreateConstantIndexOp(b, loc, M);
  Value mF = arith::UIToFPOp::create(
      b, loc, b.getF32Type(),
      arith::IndexCastUIOp::create(b, loc, b.getI64Type(), mIdx));
  Value norm = math::RsqrtOp::create(b, loc, mF);
  return lb.map({wx, sq}, wx, lb.f32(),
                {lb.proj(4, {0, 1, 2, 3}), lb.proj(4, {0, 1, 2})},
                [&](OpBuilder &bb, Location l, ValueRange a) {
                  Value half = LinalgBuilder::constF32(bb, l, 0.5);
                  Value e = arith::SubFOp::create(
                      bb, l, a[0], arith::MulFOp::create(bb, l, half, a[1]));
                  return arith::MulFOp::create(
                      bb, l, math::ExpOp::create(bb, l, e), norm);
                });
}

LinearFamilyProblem LinearFamilyProblem::describe(LinalgBuilder &lb,
                                                  AttentionOpInterface op) {
  LinearFamilyProblem p;
  p.op = op;
  p.q = op.getQ();
  p.k = op.getK();
  p.v = op.getV();
  p.initialState = op.getInitialStateOrNull();
  p.causal = op.isCausal();
  if (auto linear = dyn_cast<LinearAttentionOp>(op.getOperation())) {
    p.featureMap = linear.getFeatureMap();
    p.normalize = linear.getNormalize();
    if (Value w = linear.getProjection()) {
      // q used as k (self-attention on one tensor) gets its features once.
      p.q = emitFavorFeatures(lb, p.q, w);
      p.k = op.getK() == op.getQ() ? p.q : emitFavorFeatures(lb, p.k, w);
      p.featureMap = FeatureMap::Identity;
    }
  } else if (auto gated = dyn_cast<GatedLinearAttentionOp>(op.getOperation())) {
    p.gate = gated.getG();
  } else if (auto delta = dyn_cast<DeltaRuleOp>(op.getOperation())) {
    p.gate = delta.getG();
    p.beta = delta.getBeta();
  }
  return p;
}

void mlir::attn::materializeFeatures(LinalgBuilder &lb,
                                     LinearFamilyProblem &p) {
  if (p.featureMap == FeatureMap::Identity)
    return;
  FeatureMap fm = p.featureMap;
  auto features = [&](Value x) {
    unsigned r = cast<ShapedType>(x.getType()).getRank();
    AffineMap id = lb.builder().getMultiDimIdentityMap(r);
    return lb.map({x}, x, lb.f32(), {id},
                  [&](OpBuilder &b, Location l, ValueRange a) {
                    return featureOf(b, l, a[0], fm);
                  });
  };
  bool shared = p.k == p.q;
  p.q = features(p.q);
  p.k = shared ? p.q : features(p.k);
  p.featureMap = FeatureMap::Identity;
}

Value mlir::attn::initialStateOrZeros(LinalgBuilder &lb,
                                      const LinearFamilyProblem &p) {
  if (p.initialState)
    return lb.copy(p.initialState);
  return lb.filled({lb.size(p.q, 0), lb.size(p.q, 2), lb.size(p.q, 3),
                    lb.size(p.v, 3)},
                   0.0);
}

LogicalResult mlir::attn::checkLowerable(AttentionOpInterface op) {
  if (op.hasPackedSequences())
    return op->emitOpError()
           << "has packed sequences (cu_seqlens): run "
              "--attn-parallelize-heads first (the attn pipelines do), which "
              "gives each sequence an op of its own";
  if (!op.hasGroupedHeads())
    return success();
  // A dynamic head count may hide grouped heads: '?' in the message.
  auto count = [](int64_t n) {
    return ShapedType::isDynamic(n) ? std::string("?") : std::to_string(n);
  };
  return op->emitOpError()
         << "has grouped heads (" << count(op.getNumHeads())
         << " query heads, " << count(op.getNumKVHeads())
         << " key/value heads): run --attn-parallelize-heads first (the attn "
            "pipelines do)";
}

void mlir::attn::replaceWithOutputAndState(RewriterBase &rewriter,
                                           Operation *op, Value o,
                                           Value finalState) {
  SmallVector<Value> values{o};
  if (op->getNumResults() == 2)
    values.push_back(finalState);
  // The lowering takes each size from the operand that knows it, so a value
  // may be more (or less) static than the op's result, e.g. Dv static in v
  // but dynamic in o. The verifier made them compatible: cast to the result
  // type, which the users expect.
  for (auto [value, result] : llvm::zip(values, op->getResults()))
    if (value.getType() != result.getType())
      value = tensor::CastOp::create(rewriter, op->getLoc(), result.getType(),
                                     value);
  rewriter.replaceOp(op, values);
}
