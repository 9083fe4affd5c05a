//===- LowerToReference.cpp - attn ops in their definitional form ----------===//
//
// Each op becomes linalg/tensor/scf on tensors computing docs/ops.md
// literally, in f32:
//  - causal linear family: an scf.for over t carrying S [B,H,Dk,Dv] (and z
//    for normalized linear attention); each step decays S, applies the delta
//    correction if any, adds k v^T, and writes o_t = scale q_t^T S_t;
//  - non-causal linear attention: S = S0 + sum_t phi(k_t) v_t^T, then
//    o = scale phi(q) S;
//  - softmax attention: masked scores, row max, exp-sum and the weighted sum
//    of v, all as linalg.generic.
//
//===----------------------------------------------------------------------===//
#include "LinalgBuilder.h"
#include "LoweringUtils.h"

#include "attn/Dialect/Attn/IR/Attn.h"
#include "attn/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNLOWERTOREFERENCE
#include "attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Loop dimensions of the per-step generics on [B, H, Dk, Dv] states.
enum StepDim : unsigned { kB = 0, kH = 1, kI = 2, kJ = 3 };

/// The causal recurrence; returns {o, final state}.
std::pair<Value, Value> emitRecurrence(LinalgBuilder &lb,
                                       AttentionOpInterface op,
                                       const LinearFamilyProblem &r) {
  OpBuilder &b = lb.builder();
  Location loc = lb.getLoc();
  FeatureMap fm = r.featureMap;
  Value scale = emitScale(lb, op);
  OpFoldResult B = lb.size(r.q, 0), T = lb.size(r.q, 1), H = lb.size(r.q, 2),
               Dk = lb.size(r.q, 3), Dv = lb.size(r.v, 3);

  SmallVector<Value> inits{initialStateOrZeros(lb, r),
                           lb.empty({B, T, H, Dv})};
  if (r.normalize)
    inits.push_back(lb.filled({B, H, Dk}, 0.0));

  Value lo = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value hi = getValueOrCreateConstantIndexOp(b, loc, T);
  auto loop = scf::ForOp::create(
      b, loc, lo, hi, one, inits,
      [&](OpBuilder &nb, Location nl, Value t, ValueRange iter) {
        LinalgBuilder sb(nb, nl);
        Value s = iter[0], o = iter[1];
        // Step tensors keep the unit T dimension: [B, 1, H, D].
        OpFoldResult unit = nb.getIndexAttr(1);
        auto step = [&](Value x) { return sb.sliceRange(x, 1, t, unit); };
        constexpr unsigned U = LinalgBuilder::kUnit;
        Value qt = step(r.q), kt = step(r.k), vt = step(r.v);
        AffineMap sMap = sb.proj(4, {kB, kH, kI, kJ});
        auto phi = [&](OpBuilder &bb, Location l, Value x) {
          return featureOf(bb, l, x, fm);
        };

        // S <- diag(exp(g_t)) S, the exps taken once per gate element (B H
        // or B H Dk of them), not once per state element.
        if (r.gate) {
          Value gt = step(r.gate);
          int64_t rank = cast<ShapedType>(gt.getType()).getRank();
          Value decay = sb.map(
              {gt}, gt, sb.f32(),
              {AffineMap::getMultiDimIdentityMap(rank, nb.getContext())},
              [&](OpBuilder &bb, Location l, ValueRange a) {
                return math::ExpOp::create(bb, l,
                                           LinalgBuilder::toF32(bb, l, a[0]));
              });
          AffineMap gMap = rank == 4 ? sb.proj(4, {kB, U, kH, kI})
                                     : sb.proj(4, {kB, U, kH});
          s = sb.generic({decay}, s, {gMap, sMap}, {},
                         [&](OpBuilder &bb, Location l, ValueRange a) {
                           return arith::MulFOp::create(bb, l, a[0], a[1]);
                         });
        }

        // The rank-1 update S += k_t u_t^T, with u = v (plain) or, for the
        // delta rule, u = beta_t (v_t - S^T k_t) on the decayed S.
        Value u = vt;
        AffineMap uMap = sb.proj(4, {kB, U, kH, kJ});
        if (r.beta) {
          Value bt = step(r.beta);
          // (b, h, j, i): kS[b,h,j] = sum_i k[b,h,i] S[b,h,i,j].
          Value kS = sb.generic(
              {kt, s}, sb.filled({B, H, Dv}, 0.0),
              {sb.proj(4, {0, U, 1, 3}), sb.proj(4, {0, 1, 3, 2}),
               sb.proj(4, {0, 1, 2})},
              {3}, [&](OpBuilder &bb, Location l, ValueRange a) {
                Value kk = LinalgBuilder::toF32(bb, l, a[0]);
                Value p = arith::MulFOp::create(bb, l, kk, a[1]);
                return arith::AddFOp::create(bb, l, a[2], p);
              });
          u = sb.map({bt, vt, kS}, kS, sb.f32(),
                     {sb.proj(3, {0, U, 1}), sb.proj(3, {0, U, 1, 2}),
                      sb.proj(3, {0, 1, 2})},
                     [&](OpBuilder &bb, Location l, ValueRange a) {
                       Value beta = LinalgBuilder::toF32(bb, l, a[0]);
                       Value vv = LinalgBuilder::toF32(bb, l, a[1]);
                       Value diff = arith::SubFOp::create(bb, l, vv, a[2]);
                       return arith::MulFOp::create(bb, l, beta, diff);
                     });
          uMap = sb.proj(4, {kB, kH, kJ});
        }
        s = sb.generic({kt, u}, s, {sb.proj(4, {kB, U, kH, kI}), uMap, sMap},
                       {}, [&](OpBuilder &bb, Location l, ValueRange a) {
                         Value kk = phi(bb, l, a[0]);
                         Value uu = LinalgBuilder::toF32(bb, l, a[1]);
                         Value p = arith::MulFOp::create(bb, l, kk, uu);
                         return arith::AddFOp::create(bb, l, a[2], p);
                       });

        SmallVector<Value> yields{s};
        // num[b,0,h,j] = sum_i phi(q)[b,0,h,i] S[b,h,i,j] over (b,h,j,i).
        Value num = sb.generic(
            {qt, s}, sb.filled({B, unit, H, Dv}, 0.0),
            {sb.proj(4, {0, U, 1, 3}), sb.proj(4, {0, 1, 3, 2}),
             sb.proj(4, {0, U, 1, 2})},
            {3}, [&](OpBuilder &bb, Location l, ValueRange a) {
              Value p = arith::MulFOp::create(bb, l, phi(bb, l, a[0]), a[1]);
              return arith::AddFOp::create(bb, l, a[2], p);
            });
        Value den;
        Value z;
        if (r.normalize) {
          z = sb.generic({kt}, iter[2],
                         {sb.proj(3, {0, U, 1, 2}), sb.proj(3, {0, 1, 2})}, {},
                         [&](OpBuilder &bb, Location l, ValueRange a) {
                           return arith::AddFOp::create(bb, l, a[1],
                                                        phi(bb, l, a[0]));
                         });
          den = sb.generic({qt, z}, sb.filled({B, unit, H}, 0.0),
                           {sb.proj(3, {0, U, 1, 2}), sb.proj(3, {0, 1, 2}),
                            sb.proj(3, {0, U, 1})},
                           {2}, [&](OpBuilder &bb, Location l, ValueRange a) {
                             Value p = arith::MulFOp::create(
                                 bb, l, phi(bb, l, a[0]), a[1]);
                             return arith::AddFOp::create(bb, l, a[2], p);
                           });
        }
        Value ot = emitOutput(sb, num, den, scale, sb.f32());
        yields.push_back(sb.insertRange(ot, o, 1, t));
        if (z)
          yields.push_back(z);
        scf::YieldOp::create(nb, nl, yields);
      });
  Type outType = outputElementType(op);
  Value out = lb.convertElements(loop.getResult(1), outType);
  return {out, loop.getResult(0)};
}

/// Non-causal linear attention: S = S0 + sum_t phi(k_t) v_t^T, o = phi(q) S.
std::pair<Value, Value> emitNonCausalLinear(LinalgBuilder &lb,
                                            const LinearFamilyProblem &p) {
  FeatureMap fm = p.featureMap;
  Value q = p.q, k = p.k, v = p.v;
  Value scale = emitScale(lb, p.op);
  OpFoldResult B = lb.size(q, 0), T = lb.size(q, 1), H = lb.size(q, 2),
               Dk = lb.size(q, 3), Dv = lb.size(v, 3);
  auto phi = [&](OpBuilder &bb, Location l, Value x) {
    return applyFeatureMap(bb, l, LinalgBuilder::toF32(bb, l, x), fm);
  };
  auto mulAdd = [&](OpBuilder &bb, Location l, ValueRange a) {
    Value p = arith::MulFOp::create(bb, l, phi(bb, l, a[0]),
                                    LinalgBuilder::toF32(bb, l, a[1]));
    return arith::AddFOp::create(bb, l, a[2], p);
  };

  Value s0 = initialStateOrZeros(lb, p);
  // Dims (b, h, i, j, t): S[b,h,i,j] += phi(k)[b,t,h,i] v[b,t,h,j].
  Value s = lb.generic({k, v}, s0,
                       {lb.proj(5, {0, 4, 1, 2}), lb.proj(5, {0, 4, 1, 3}),
                        lb.proj(5, {0, 1, 2, 3})},
                       {4}, mulAdd);
  // Dims (b, t, h, j, i): num[b,t,h,j] = sum_i phi(q)[b,t,h,i] S[b,h,i,j].
  Value num = lb.generic({q, s}, lb.filled({B, T, H, Dv}, 0.0),
                         {lb.proj(5, {0, 1, 2, 4}), lb.proj(5, {0, 2, 4, 3}),
                          lb.proj(5, {0, 1, 2, 3})},
                         {4}, mulAdd);
  Value den;
  if (p.normalize) {
    // Dims (b, h, i, t): z[b,h,i] = sum_t phi(k)[b,t,h,i].
    Value z = lb.generic(
        {k}, lb.filled({B, H, Dk}, 0.0),
        {lb.proj(4, {0, 3, 1, 2}), lb.proj(4, {0, 1, 2})}, {3},
        [&](OpBuilder &bb, Location l, ValueRange a) {
          return arith::AddFOp::create(bb, l, a[1], phi(bb, l, a[0]));
        });
    // Dims (b, t, h, i): den[b,t,h] = sum_i phi(q)[b,t,h,i] z[b,h,i].
    den = lb.generic({q, z}, lb.filled({B, T, H}, 0.0),
                     {lb.proj(4, {0, 1, 2, 3}), lb.proj(4, {0, 2, 3}),
                      lb.proj(4, {0, 1, 2})},
                     {3}, mulAdd);
  }
  Type outType = outputElementType(p.op);
  return {emitOutput(lb, num, den, scale, outType), s};
}

/// Softmax attention, masked quadratic form with a max-subtracted softmax.
Value emitSoftmax(LinalgBuilder &lb, SoftmaxAttentionOp op) {
  OpBuilder &b = lb.builder();
  Location loc = lb.getLoc();
  Value q = op.getQ(), k = op.getK(), v = op.getV();
  Value scale = emitScale(lb, op);
  OpFoldResult B = lb.size(q, 0), Tq = lb.size(q, 1), H = lb.size(q, 2),
               Tk = lb.size(k, 1), Dv = lb.size(v, 3);
  bool causal = op.getCausal();
  // Query t sees key s iff s <= t + (Tk - Tq).
  Value offset;
  if (causal) {
    Value tq = getValueOrCreateConstantIndexOp(b, loc, Tq);
    Value tk = getValueOrCreateConstantIndexOp(b, loc, Tk);
    offset = arith::SubIOp::create(b, loc, tk, tq);
  }
  std::optional<uint64_t> window = op.getWindow();
  // Returns the i1 "masked" for loop dims tDim, sDim, or null if not causal:
  // s > t + off, or, with a window W, s + W <= t + off.
  auto masked = [&](OpBuilder &bb, Location l, unsigned tDim,
                    unsigned sDim) -> Value {
    if (!causal)
      return nullptr;
    Value t = linalg::IndexOp::create(bb, l, tDim);
    Value s = linalg::IndexOp::create(bb, l, sDim);
    Value last = arith::AddIOp::create(bb, l, t, offset);
    Value m = arith::CmpIOp::create(bb, l, arith::CmpIPredicate::ugt, s, last);
    if (!window)
      return m;
    Value w = arith::ConstantIndexOp::create(bb, l, *window);
    Value sw = arith::AddIOp::create(bb, l, s, w);
    Value old =
        arith::CmpIOp::create(bb, l, arith::CmpIPredicate::ule, sw, last);
    return arith::OrIOp::create(bb, l, m, old);
  };

  // Dims (b, h, t, s, d): scores[b,h,t,s] = sum_d q[b,t,h,d] k[b,s,h,d].
  Value scores = lb.generic(
      {q, k}, lb.filled({B, H, Tq, Tk}, 0.0),
      {lb.proj(5, {0, 2, 1, 4}), lb.proj(5, {0, 3, 1, 4}),
       lb.proj(5, {0, 1, 2, 3})},
      {4}, [&](OpBuilder &bb, Location l, ValueRange a) {
        Value p = arith::MulFOp::create(bb, l, LinalgBuilder::toF32(bb, l, a[0]),
                                        LinalgBuilder::toF32(bb, l, a[1]));
        return arith::AddFOp::create(bb, l, a[2], p);
      });

  double negInf = -std::numeric_limits<double>::infinity();
  AffineMap s4 = lb.proj(4, {0, 1, 2, 3}), row4 = lb.proj(4, {0, 1, 2});
  // Dims (b, h, t, s): m[b,h,t] = max over visible s of scale * scores.
  Value rowMax = lb.generic(
      {scores}, lb.filled({B, H, Tq}, negInf), {s4, row4}, {3},
      [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
        Value x = arith::MulFOp::create(bb, l, scale, a[0]);
        Value m = arith::MaximumFOp::create(bb, l, a[1], x);
        if (Value mk = masked(bb, l, 2, 3))
          return arith::SelectOp::create(bb, l, mk, a[1], m);
        return m;
      });
  // p = exp(scale * score - m) for visible keys, 0 for masked ones.
  auto prob = [&](OpBuilder &bb, Location l, Value score, Value m,
                  unsigned tDim, unsigned sDim) -> Value {
    Value x = arith::MulFOp::create(bb, l, scale, score);
    Value e = math::ExpOp::create(bb, l, arith::SubFOp::create(bb, l, x, m));
    if (Value mk = masked(bb, l, tDim, sDim))
      return arith::SelectOp::create(bb, l, mk,
                                     LinalgBuilder::constF32(bb, l, 0.0), e);
    return e;
  };
  // e = exp(scale * score - m), 0 where masked; l = sum_s e; w = e / l.
  // Each is computed once per score (not once per output column), and the
  // weighted sum below runs with the contiguous v columns innermost (decode:
  // Tq = 1 against a long cache is bound by reading v).
  Value e = lb.map({scores, rowMax}, scores, lb.f32(), {s4, row4},
                   [&](OpBuilder &bb, Location l, ValueRange a) {
                     return prob(bb, l, a[0], a[1], 2, 3);
                   });
  Value rowSum = lb.generic({e}, lb.filled({B, H, Tq}, 0.0), {s4, row4}, {3},
                            [&](OpBuilder &bb, Location l, ValueRange a) {
                              return arith::AddFOp::create(bb, l, a[1], a[0]);
                            });
  Value w = lb.map({e, rowSum}, e, lb.f32(), {s4, row4},
                   [&](OpBuilder &bb, Location l, ValueRange a) {
                     return arith::DivFOp::create(bb, l, a[0], a[1]);
                   });
  // Dims (b, t, h, j, s): o[b,t,h,j] = sum_s w[b,h,t,s] v[b,s,h,j].
  Value acc = lb.contraction(
      {w, v}, lb.filled({B, Tq, H, Dv}, 0.0),
      {lb.proj(5, {0, 2, 1, 4}), lb.proj(5, {0, 4, 2, 3}),
       lb.proj(5, {0, 1, 2, 3})},
      [&](OpBuilder &bb, Location l, ValueRange a) {
        Value pv = arith::MulFOp::create(bb, l, a[0],
                                         LinalgBuilder::toF32(bb, l, a[1]));
        return arith::AddFOp::create(bb, l, a[2], pv);
      });
  Type outType = outputElementType(op);
  return lb.convertElements(acc, outType);
}

struct SoftmaxToReference : OpRewritePattern<SoftmaxAttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SoftmaxAttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(checkLowerable(op)))
      return failure();
    LinalgBuilder lb(rewriter, op.getLoc());
    replaceWithOutputAndState(rewriter, op, emitSoftmax(lb, op),
                              /*finalState=*/nullptr);
    return success();
  }
};

struct LinearFamilyToReference
    : OpInterfaceRewritePattern<AttentionOpInterface> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;
  LogicalResult matchAndRewrite(AttentionOpInterface op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasRecurrentState() || failed(checkLowerable(op)))
      return failure();
    LinalgBuilder lb(rewriter, op.getLoc());
    LinearFamilyProblem p = LinearFamilyProblem::describe(lb, op);
    auto [o, state] = p.causal ? emitRecurrence(lb, op, p)
                               : emitNonCausalLinear(lb, p);
    replaceWithOutputAndState(rewriter, op, o, state);
    return success();
  }
};

struct AttnLowerToReferencePass
    : attn::impl::AttnLowerToReferenceBase<AttnLowerToReferencePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateAttnToReferencePatterns(patterns);
    ConversionTarget target(getContext());
    target.addIllegalDialect<AttnDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::attn::populateAttnToReferencePatterns(RewritePatternSet &patterns) {
  patterns.add<SoftmaxToReference, LinearFamilyToReference>(
      patterns.getContext());
}
