//===- ExpandGrad.cpp - the linear family's gradients as forward ops ------===//
//
// For causal linear attention with scale c, S_t = S_0 + sum_{s<=t} k_s v_s^T
// and o_t = c S_t^T q_t. Given dO and dS_T (the final state's gradient),
// the gradient reaching the term k_s v_s^T is
//   R_s = c sum_{t>=s} q_t dO_t^T + dS_T,
// so dk_s = R_s v_s, dv_s = R_s^T k_s, dS_0 = R_0, and dq_t = c S_t dO_t.
// Each is a linear attention: dq is one with (q, k, v) = (dO, v, k) from
// S_0^T; dk and dv are anti-causal sums, causal ones on the time-reversed
// sequences: dk = rev(LA(rev v, rev dO, c rev q)) from dS_T^T, dv =
// rev(LA(rev k, rev q, c rev dO)) from dS_T, whose final state is dS_0.
// With a scalar gate the decays between positions s <= t are
// exp(g_{s+1} + ... + g_t); in reversed time the same products come from
// the gate shifted by one step (g'_0 = 0, g'_r = g_{T-r}), and dS_0 takes
// one more factor exp(g_0). The gate's gradient is fla's identity:
//   dg_t = sum_{u>=t} (q_u . dq_u - k_u . dk_u) + <dS_T, S_T>.
// So the backward reuses every form, chunk size and backend of the forward.
// Softmax attention's gradients are a backward of their own, by blocks of
// query rows (GradExpander::expandSoftmax), and so are the delta rule's,
// through the chunks' WY/UT transform (ChunkwiseDeltaRuleGrad.cpp).
//
//===----------------------------------------------------------------------===//
#include "ChunkwiseLowering.h"
#include "LinalgBuilder.h"
#include "LoweringUtils.h"

#include "attn/Dialect/Attn/IR/Attn.h"
#include "attn/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>
#include <limits>
#include <map>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNEXPANDGRAD
#include "attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Bodies of the generics: a copy, a sum (in place: a[1] the output) and a
/// multiply-add into the output (a[0] * a[1] + a[2]).
Value copyOf(OpBuilder &, Location, ValueRange a) { return a[0]; }
Value sumInto(OpBuilder &nb, Location nl, ValueRange a) {
  return arith::AddFOp::create(nb, nl, a[1], a[0]);
}
Value mulAddInto(OpBuilder &nb, Location nl, ValueRange a) {
  Value prod = arith::MulFOp::create(nb, nl, a[0], a[1]);
  return arith::AddFOp::create(nb, nl, a[2], prod);
}

/// What both gradient ops have: the forward's operands and options.
struct GradProblem {
  Value q, k, v, g, dO, initialState, dFinalState;
  Value beta; // the delta rule's
  FeatureMap featureMap = FeatureMap::Identity;
  bool causal = true;
  double scale = 1.0;
  int64_t T = 0, Hq = 0, Hkv = 0;
  // Softmax attention: the keys' length and the sliding window (0: none).
  int64_t Tk = 0, window = 0;
};

/// The gradients, f32 (dk, dv per query head before group sums).
struct Grads {
  Value dq, dk, dv, dbeta, dg, dInitialState;
};

class GradExpander {
public:
  GradExpander(OpBuilder &b, Location loc, const GradProblem &p)
      : b(b), loc(loc), lb(b, loc), p(p) {}

  /// The linear family's gradients.
  Grads expand();
  /// Softmax attention's, by blocks of query rows: each block's scores and
  /// weights P recomputed over all Tk keys (so no log-sum-exp is needed),
  /// then dP = dO V^T, dS = P (.) (dP - rowsum(P (.) dP)), the block's dQ
  /// = c dS K, and dK += c dS^T Q, dV += P^T dO carried across blocks.
  Grads expandSoftmax();
  /// The delta rule's, chunkwise (LinearChunkEmitter::emitDeltaBackward).
  Grads expandDelta();

private:
  Value f32(Value x) { return lb.convertElements(x, b.getF32Type()); }
  AffineMap identity(unsigned rank) {
    return b.getMultiDimIdentityMap(rank);
  }

  /// c x [B, T, ...] with time reversed (each (x, c) built once).
  Value reverseTime(Value x, double c = 1.0);
  /// The gate of the time-reversed recurrence: g'_0 = 0, g'_r = g_{T-r}.
  Value reversedGate(Value g);
  /// [B, H, A, C] -> [B, H, C, A].
  Value transposeState(Value s);
  /// k or v [B, T, Hkv, D] read by each of the Hq query heads.
  Value broadcastHeads(Value x);
  /// The gradients of the Hq query heads summed into their Hkv k/v head.
  Value sumHeadGroups(Value x);
  /// Elementwise: c x, phi(x), dx * phi'(x), a - b, a * b.
  Value scaled(Value x, double c);
  Value featureMapped(Value x);
  Value timesDerivative(Value dPhi, Value x);
  /// sum_d a[b, t, h, d] b[b, t, h, d] -> [B, T, H].
  Value rowDot(Value a, Value c);
  /// sum_{i,j} a[b, h, i, j] c[b, h, i, j] -> [B, H].
  Value stateDot(Value a, Value c);
  /// out_t = sum_{u >= t} x_u along T of [B, T, H].
  Value reverseCumsum(Value x);

  /// The f32 types of a forward op's o and (if wanted) final state.
  std::pair<Type, Type> forwardTypes(Value q, Value v, bool wantFinal);
  /// A forward op on f32 operands; returns (o, final state or null).
  std::pair<Value, Value> linear(Value q, Value k, Value v, Value init,
                                 double scale, bool wantFinal);
  std::pair<Value, Value> gated(Value q, Value k, Value v, Value g, Value init,
                                double scale, bool wantFinal);

  OpBuilder &b;
  Location loc;
  LinalgBuilder lb;
  const GradProblem &p;
  std::map<std::pair<const void *, double>, Value> reversed;
};

Value GradExpander::reverseTime(Value x, double c) {
  Value &memo = reversed[{x.getAsOpaquePointer(), c}];
  if (memo)
    return memo;
  auto type = cast<RankedTensorType>(x.getType());
  unsigned rank = type.getRank();
  SmallVector<AffineExpr> in;
  for (unsigned d = 0; d < rank; ++d)
    in.push_back(d == 1 ? b.getAffineConstantExpr(p.T - 1) -
                              b.getAffineDimExpr(1)
                        : b.getAffineDimExpr(d));
  memo = lb.map({x}, x, type.getElementType(),
                {AffineMap::get(rank, 0, in, b.getContext())},
                [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                  if (c == 1.0)
                    return a[0];
                  return arith::MulFOp::create(
                      nb, nl, a[0], LinalgBuilder::constF32(nb, nl, c));
                });
  return memo;
}

Value GradExpander::reversedGate(Value g) {
  // Read g[(T - r) mod T] and replace position 0 by 0.
  AffineExpr r = b.getAffineDimExpr(1);
  AffineMap in = AffineMap::get(
      3, 0,
      {b.getAffineDimExpr(0), (b.getAffineConstantExpr(p.T) - r) % p.T,
       b.getAffineDimExpr(2)},
      b.getContext());
  return lb.map({g}, g, b.getF32Type(), {in},
                [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                  Value t = linalg::IndexOp::create(nb, nl, 1);
                  Value first = arith::CmpIOp::create(
                      nb, nl, arith::CmpIPredicate::eq, t,
                      arith::ConstantIndexOp::create(nb, nl, 0));
                  return arith::SelectOp::create(
                      nb, nl, first, LinalgBuilder::constF32(nb, nl, 0.0),
                      a[0]);
                });
}

Value GradExpander::transposeState(Value s) {
  SmallVector<OpFoldResult> sizes = lb.sizes(s);
  std::swap(sizes[2], sizes[3]);
  return lb.map({s}, sizes, b.getF32Type(), {lb.proj(4, {0, 1, 3, 2})},
                copyOf);
}

Value GradExpander::broadcastHeads(Value x) {
  if (p.Hq == p.Hkv)
    return x;
  SmallVector<OpFoldResult> sizes = lb.sizes(x);
  sizes[2] = b.getIndexAttr(p.Hq);
  int64_t group = p.Hq / p.Hkv;
  AffineMap in = AffineMap::get(
      4, 0,
      {b.getAffineDimExpr(0), b.getAffineDimExpr(1),
       b.getAffineDimExpr(2).floorDiv(group), b.getAffineDimExpr(3)},
      b.getContext());
  return lb.map({x}, sizes, b.getF32Type(), {in},
                copyOf);
}

Value GradExpander::sumHeadGroups(Value x) {
  if (p.Hq == p.Hkv)
    return x;
  // [B, T, Hq, D] viewed as [B, T, Hkv, G, D] (query head h = kv head
  // h / G), summed over G.
  int64_t group = p.Hq / p.Hkv;
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape(type.getShape());
  auto grouped = RankedTensorType::get(
      {shape[0], shape[1], p.Hkv, group, shape[3]}, type.getElementType());
  SmallVector<ReassociationIndices> dims = {{0}, {1}, {2, 3}, {4}};
  Value view = tensor::ExpandShapeOp::create(b, loc, grouped, x, dims);
  SmallVector<OpFoldResult> sizes = lb.sizes(x);
  sizes[2] = b.getIndexAttr(p.Hkv);
  return lb.generic({view}, lb.filled(sizes, 0.0),
                    {identity(5), lb.proj(5, {0, 1, 2, 4})}, {3},
                    sumInto);
}

Value GradExpander::scaled(Value x, double c) {
  if (c == 1.0)
    return x;
  auto rank = cast<RankedTensorType>(x.getType()).getRank();
  return lb.map({x}, x, b.getF32Type(), {identity(rank)},
                [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                  return arith::MulFOp::create(
                      nb, nl, a[0], LinalgBuilder::constF32(nb, nl, c));
                });
}

Value GradExpander::featureMapped(Value x) {
  if (p.featureMap == FeatureMap::Identity)
    return x;
  return lb.map({x}, x, b.getF32Type(), {identity(4)},
                [&](OpBuilder &nb, Location nl, ValueRange a) {
                  return applyFeatureMap(nb, nl, a[0], p.featureMap);
                });
}

Value GradExpander::timesDerivative(Value dPhi, Value x) {
  if (p.featureMap == FeatureMap::Identity)
    return dPhi;
  return lb.map({dPhi, x}, x, b.getF32Type(), {identity(4), identity(4)},
                [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                  return arith::MulFOp::create(
                      nb, nl, a[0],
                      applyFeatureMapDerivative(nb, nl, a[1], p.featureMap));
                });
}

Value GradExpander::rowDot(Value a, Value c) {
  SmallVector<OpFoldResult> sizes = lb.sizes(a);
  sizes.pop_back();
  AffineMap id = identity(4);
  return lb.generic({a, c}, lb.filled(sizes, 0.0),
                    {id, id, lb.proj(4, {0, 1, 2})}, {3},
                    mulAddInto);
}

Value GradExpander::stateDot(Value a, Value c) {
  SmallVector<OpFoldResult> sizes = lb.sizes(a);
  sizes.resize(2);
  AffineMap id = identity(4);
  return lb.generic({a, c}, lb.filled(sizes, 0.0), {id, id, lb.proj(4, {0, 1})},
                    {2, 3},
                    mulAddInto);
}

Value GradExpander::reverseCumsum(Value x) {
  SmallVector<OpFoldResult> sizes = lb.sizes(x);
  SmallVector<OpFoldResult> stepSizes = sizes;
  stepSizes[1] = b.getIndexAttr(1);
  Value acc0 = lb.filled(stepSizes, 0.0);
  Value out0 = lb.empty(sizes);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value steps = arith::ConstantIndexOp::create(b, loc, p.T);
  auto loop = scf::ForOp::create(
      b, loc, zero, steps, one, ValueRange{acc0, out0},
      [&](OpBuilder &nb, Location nl, Value i, ValueRange carried) {
        LinalgBuilder inner(nb, nl);
        Value t = arith::SubIOp::create(
            nb, nl, arith::ConstantIndexOp::create(nb, nl, p.T - 1), i);
        Value xt = inner.sliceRange(x, 1, t, nb.getIndexAttr(1));
        // Accumulate in place (into the loop-carried tensor), so that
        // bufferization keeps one buffer across the iterations.
        AffineMap id = nb.getMultiDimIdentityMap(3);
        Value acc = inner.generic(
            {xt}, carried[0], {id, id}, {},
            sumInto);
        Value out = inner.insertRange(acc, carried[1], 1, t);
        scf::YieldOp::create(nb, nl, ValueRange{acc, out});
      });
  return loop.getResult(1);
}

std::pair<Type, Type> GradExpander::forwardTypes(Value q, Value v,
                                                 bool wantFinal) {
  auto qt = cast<RankedTensorType>(q.getType());
  auto vt = cast<RankedTensorType>(v.getType());
  Type f32 = b.getF32Type();
  Type o = RankedTensorType::get({qt.getDimSize(0), qt.getDimSize(1),
                                  qt.getDimSize(2), vt.getDimSize(3)},
                                 f32);
  if (!wantFinal)
    return {o, Type()};
  return {o, RankedTensorType::get({qt.getDimSize(0), qt.getDimSize(2),
                                    qt.getDimSize(3), vt.getDimSize(3)},
                                   f32)};
}

std::pair<Value, Value> GradExpander::linear(Value q, Value k, Value v,
                                             Value init, double scale,
                                             bool wantFinal) {
  auto [oType, stateType] = forwardTypes(q, v, wantFinal);
  auto op = LinearAttentionOp::create(
      b, loc, oType, stateType, q, k, v, /*projection=*/Value(), init,
      /*cu_seqlens=*/Value(), FeatureMap::Identity, /*normalize=*/false,
      p.causal, b.getF64FloatAttr(scale), FormAttr(), IntegerAttr());
  return {op.getO(), op.getFinalState()};
}

std::pair<Value, Value> GradExpander::gated(Value q, Value k, Value v, Value g,
                                            Value init, double scale,
                                            bool wantFinal) {
  auto [oType, stateType] = forwardTypes(q, v, wantFinal);
  auto op = GatedLinearAttentionOp::create(
      b, loc, oType, stateType, q, k, v, g, init, /*cu_seqlens=*/Value(),
      b.getF64FloatAttr(scale), FormAttr(), IntegerAttr());
  return {op.getO(), op.getFinalState()};
}

Grads GradExpander::expand() {
  const double c = p.scale;
  const bool gate = static_cast<bool>(p.g);
  Value q = f32(p.q), dO = f32(p.dO);
  Value k = broadcastHeads(f32(p.k)), v = broadcastHeads(f32(p.v));
  Value g = gate ? f32(p.g) : Value();
  Value pq = featureMapped(q), pk = featureMapped(k);
  Value s0T = p.initialState ? transposeState(p.initialState) : Value();
  Value dST = p.dFinalState ? transposeState(p.dFinalState) : Value();
  const bool wantInitial = static_cast<bool>(p.initialState);

  Grads out;
  Value dPhiQ = gate ? gated(dO, v, pk, g, s0T, c, false).first
                     : linear(dO, v, pk, s0T, c, false).first;
  // The anti-causal sums: on reversed time when causal; the non-causal op
  // already sums over every position. rev(x, c) is c x reversed.
  auto rev = [&](Value x, double scale = 1.0) {
    return p.causal ? reverseTime(x, scale) : scaled(x, scale);
  };
  Value gRev = gate ? reversedGate(g) : Value();
  Value dPhiK, dv, finalOfDv;
  if (gate) {
    dPhiK = gated(rev(v), rev(dO), rev(pq, c), gRev, dST, 1.0, false).first;
    std::tie(dv, finalOfDv) = gated(rev(pk), rev(pq), rev(dO, c), gRev,
                                    p.dFinalState, 1.0, wantInitial);
  } else {
    dPhiK = linear(rev(v), rev(dO), rev(pq, c), dST, 1.0, false).first;
    std::tie(dv, finalOfDv) = linear(rev(pk), rev(pq), rev(dO, c),
                                     p.dFinalState, 1.0, wantInitial);
  }
  dPhiK = rev(dPhiK);
  dv = rev(dv);
  out.dq = timesDerivative(dPhiQ, q);
  Value dk = timesDerivative(dPhiK, k);

  if (wantInitial) {
    out.dInitialState = finalOfDv;
    if (gate)
      // The reversed recurrence never applies g_0: dS_0 = e^{g_0} R_0.
      out.dInitialState = lb.map(
          {finalOfDv, g}, finalOfDv, b.getF32Type(),
          {identity(4), lb.proj(4, {0, LinalgBuilder::kUnit, 1})},
          [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
            return arith::MulFOp::create(nb, nl, a[0],
                                         math::ExpOp::create(nb, nl, a[1]));
          });
  }

  if (gate) {
    Value qdq = rowDot(q, out.dq), kdk = rowDot(k, dk);
    Value diff = lb.map({qdq, kdk}, qdq, b.getF32Type(),
                        {identity(3), identity(3)},
                        [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                          return arith::SubFOp::create(nb, nl, a[0], a[1]);
                        });
    out.dg = reverseCumsum(diff);
    if (p.dFinalState) {
      // The final state depends on every gate: <dS_T, S_T> joins each dg_t.
      Value final = gated(q, k, v, g, p.initialState, c, true).second;
      Value dot = stateDot(p.dFinalState, final);
      out.dg = lb.map({out.dg, dot}, out.dg, b.getF32Type(),
                      {identity(3), lb.proj(3, {0, 2})},
                      [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                        return arith::AddFOp::create(nb, nl, a[0], a[1]);
                      });
    }
  }
  out.dk = sumHeadGroups(dk);
  out.dv = sumHeadGroups(dv);
  return out;
}

Grads GradExpander::expandSoftmax() {
  auto qt = cast<RankedTensorType>(p.q.getType());
  auto vt = cast<RankedTensorType>(p.v.getType());
  const int64_t B = qt.getDimSize(0), Tq = p.T, H = p.Hq, Dk = qt.getDimSize(3),
                Dv = vt.getDimSize(3), Tk = p.Tk;
  const int64_t BM = std::min<int64_t>(64, Tq), NQ = (Tq + BM - 1) / BM;
  auto idx = [&](int64_t v) { return b.getIndexAttr(v); };
  Value q = lb.padWithZeros(f32(p.q), 1, idx(NQ * BM));
  Value dO = lb.padWithZeros(f32(p.dO), 1, idx(NQ * BM));
  Value k = broadcastHeads(f32(p.k)), v = broadcastHeads(f32(p.v));
  Value dK0 = lb.filled({idx(B), idx(Tk), idx(H), idx(Dk)}, 0.0);
  Value dV0 = lb.filled({idx(B), idx(Tk), idx(H), idx(Dv)}, 0.0);
  Value dQ0 = lb.empty({idx(B), idx(NQ * BM), idx(H), idx(Dk)});
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto loop = scf::ForOp::create(b, loc, zero,
                                 arith::ConstantIndexOp::create(b, loc, NQ),
                                 one, ValueRange{dK0, dV0, dQ0});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value n = loop.getInductionVar();
    Value dK = loop.getRegionIterArgs()[0], dV = loop.getRegionIterArgs()[1],
          dQ = loop.getRegionIterArgs()[2];
    Value r0 = arith::MulIOp::create(
        b, loc, n, arith::ConstantIndexOp::create(b, loc, BM));
    Value qb = lb.sliceRange(q, 1, r0, idx(BM));
    Value dOb = lb.sliceRange(dO, 1, r0, idx(BM));
    SmallVector<OpFoldResult> scoreSizes = {idx(B), idx(H), idx(BM), idx(Tk)};
    // Loops (b, h, i, s, d): S[b, h, i, s] = sum_d q[b, i, h, d] k[b, s, h, d].
    Value scores = lb.contraction(
        {qb, k}, lb.filled(scoreSizes, 0.0),
        {lb.proj(5, {0, 2, 1, 4}), lb.proj(5, {0, 3, 1, 4}),
         lb.proj(5, {0, 1, 2, 3})},
        mulAddInto);
    // Visible keys: row i is query t = r0 + i at key position t + Tk - Tq.
    const double negInf = -std::numeric_limits<double>::infinity();
    Value masked = lb.map(
        {scores}, scores, b.getF32Type(), {identity(4)},
        [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
          Value i = linalg::IndexOp::create(nb, nl, 2);
          Value s = linalg::IndexOp::create(nb, nl, 3);
          Value t = arith::AddIOp::create(nb, nl, r0, i);
          auto cmp = [&](arith::CmpIPredicate pred, Value x, int64_t c) {
            return arith::CmpIOp::create(
                nb, nl, pred, x, arith::ConstantIndexOp::create(nb, nl, c));
          };
          Value vis = cmp(arith::CmpIPredicate::slt, t, Tq);
          if (p.causal) {
            // s - t <= Tk - Tq, and with a window s - t > Tk - Tq - W.
            Value diff = arith::SubIOp::create(nb, nl, s, t);
            vis = arith::AndIOp::create(
                nb, nl, vis, cmp(arith::CmpIPredicate::sle, diff, Tk - Tq));
            if (p.window > 0)
              vis = arith::AndIOp::create(
                  nb, nl, vis,
                  cmp(arith::CmpIPredicate::sgt, diff, Tk - Tq - p.window));
          }
          Value scaledScore = arith::MulFOp::create(
              nb, nl, a[0], LinalgBuilder::constF32(nb, nl, p.scale));
          return arith::SelectOp::create(
              nb, nl, vis, scaledScore, LinalgBuilder::constF32(nb, nl, negInf));
        });
    SmallVector<OpFoldResult> rowSizes = {idx(B), idx(H), idx(BM)};
    AffineMap rowMap = lb.proj(4, {0, 1, 2});
    Value rowMax = lb.generic(
        {masked}, lb.filled(rowSizes, negInf), {identity(4), rowMap}, {3},
        [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
          return arith::MaximumFOp::create(nb, nl, a[0], a[1]);
        });
    // e = exp(S - m); a row that sees no key (m = -inf) gets e = 0.
    Value e = lb.map(
        {masked, rowMax}, masked, b.getF32Type(), {identity(4), rowMap},
        [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
          Value empty = arith::CmpFOp::create(
              nb, nl, arith::CmpFPredicate::OEQ, a[1],
              LinalgBuilder::constF32(nb, nl, negInf));
          Value ref = arith::SelectOp::create(
              nb, nl, empty, LinalgBuilder::constF32(nb, nl, 0.0), a[1]);
          return math::ExpOp::create(
              nb, nl, arith::SubFOp::create(nb, nl, a[0], ref));
        });
    Value rowSum = lb.generic(
        {e}, lb.filled(rowSizes, 0.0), {identity(4), rowMap}, {3},
        sumInto);
    Value probs = lb.map(
        {e, rowSum}, e, b.getF32Type(), {identity(4), rowMap},
        [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
          Value pos = arith::CmpFOp::create(
              nb, nl, arith::CmpFPredicate::OGT, a[1],
              LinalgBuilder::constF32(nb, nl, 0.0));
          return arith::DivFOp::create(
              nb, nl, a[0],
              arith::SelectOp::create(nb, nl, pos, a[1],
                                      LinalgBuilder::constF32(nb, nl, 1.0)));
        });
    // dP[b, h, i, s] = sum_j dO[b, i, h, j] v[b, s, h, j].
    Value dP = lb.contraction(
        {dOb, v}, lb.filled(scoreSizes, 0.0),
        {lb.proj(5, {0, 2, 1, 4}), lb.proj(5, {0, 3, 1, 4}),
         lb.proj(5, {0, 1, 2, 3})},
        mulAddInto);
    Value delta = lb.generic({probs, dP}, lb.filled(rowSizes, 0.0),
                             {identity(4), identity(4), rowMap}, {3}, mulAddInto);
    // dS scaled by c: c P (dP - delta).
    Value dS = lb.map(
        {probs, dP, delta}, probs, b.getF32Type(),
        {identity(4), identity(4), rowMap},
        [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
          Value d = arith::SubFOp::create(nb, nl, a[1], a[2]);
          Value pd = arith::MulFOp::create(nb, nl, a[0], d);
          return arith::MulFOp::create(
              nb, nl, pd, LinalgBuilder::constF32(nb, nl, p.scale));
        });
    // dQ[b, i, h, d] = sum_s dS[b, h, i, s] k[b, s, h, d]: loops
    // (b, i, h, d, s).
    Value dQb = lb.contraction(
        {dS, k}, lb.filled({idx(B), idx(BM), idx(H), idx(Dk)}, 0.0),
        {lb.proj(5, {0, 2, 1, 4}), lb.proj(5, {0, 4, 2, 3}),
         lb.proj(5, {0, 1, 2, 3})},
        mulAddInto);
    // dK[b, s, h, d] += sum_i dS[b, h, i, s] q[b, i, h, d] and dV[b, s, h, j]
    // += sum_i P[b, h, i, s] dO[b, i, h, j]: loops (b, s, h, d, i).
    SmallVector<AffineMap> accMaps = {lb.proj(5, {0, 2, 4, 1}),
                                      lb.proj(5, {0, 4, 2, 3}),
                                      lb.proj(5, {0, 1, 2, 3})};
    Value dKn = lb.contraction({dS, qb}, dK, accMaps, mulAddInto);
    Value dVn = lb.contraction({probs, dOb}, dV, accMaps, mulAddInto);
    Value dQn = lb.insertRange(dQb, dQ, 1, r0);
    scf::YieldOp::create(b, loc, ValueRange{dKn, dVn, dQn});
  }
  Grads out;
  out.dq = lb.sliceRange(loop.getResult(2), 1, idx(0), idx(Tq));
  out.dk = sumHeadGroups(loop.getResult(0));
  out.dv = sumHeadGroups(loop.getResult(1));
  return out;
}

Grads GradExpander::expandDelta() {
  // Every (batch, head) is its own problem: an scf.forall over them (an
  // OpenMP loop on the CPU, as attn-parallelize-heads makes for the forward
  // ops) runs the chunk loops on [1, T, 1, D] slices. dk and dv are written
  // per query head and summed over each group after the loop.
  auto qt = cast<RankedTensorType>(p.q.getType());
  auto vt = cast<RankedTensorType>(p.v.getType());
  const int64_t B = qt.getDimSize(0), T = p.T, H = p.Hq, Dk = qt.getDimSize(3),
                Dv = vt.getDimSize(3), group = p.Hq / p.Hkv;
  const bool gated = static_cast<bool>(p.g), init = static_cast<bool>(p.initialState);
  auto idx = [&](int64_t v) -> OpFoldResult { return b.getIndexAttr(v); };
  SmallVector<Value> outs{lb.empty({idx(B), idx(T), idx(H), idx(Dk)}),
                          lb.empty({idx(B), idx(T), idx(H), idx(Dk)}),
                          lb.empty({idx(B), idx(T), idx(H), idx(Dv)}),
                          lb.empty({idx(B), idx(T), idx(H)})};
  if (gated)
    outs.push_back(lb.empty({idx(B), idx(T), idx(H)}));
  if (init)
    outs.push_back(lb.empty({idx(B), idx(H), idx(Dk), idx(Dv)}));
  auto forall = scf::ForallOp::create(b, loc, {idx(B), idx(H)}, outs,
                                      /*mapping=*/std::nullopt);
  Value bi = forall.getInductionVar(0), hi = forall.getInductionVar(1);
  OpFoldResult one = idx(1);
  // x[b, :, head] of a [B, T, H, ...] tensor; x[b, head] of a state.
  auto perStep = [&](Value x, Value head) {
    return lb.sliceRange(lb.sliceRange(x, 0, bi, one), 2, head, one);
  };
  auto perState = [&](Value x) {
    return lb.sliceRange(lb.sliceRange(x, 0, bi, one), 1, hi, one);
  };
  SmallVector<Value> results;
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(forall.getTerminator());
    Value kvHead = arith::DivUIOp::create(
        b, loc, hi, arith::ConstantIndexOp::create(b, loc, group));
    LinearFamilyProblem lp;
    lp.q = f32(perStep(p.q, hi));
    lp.k = f32(perStep(p.k, kvHead));
    lp.v = f32(perStep(p.v, kvHead));
    lp.beta = f32(perStep(p.beta, hi));
    lp.gate = gated ? f32(perStep(p.g, hi)) : Value();
    lp.initialState = init ? perState(p.initialState) : Value();
    // The forward's chunk: 64 (attn-select-chunk's usual choice), or T.
    const int64_t chunk = std::min<int64_t>(64, T);
    LinearChunkEmitter e(lb, lp, Value());
    DeltaRuleGrads d = e.emitDeltaBackward(
        chunk, scaled(f32(perStep(p.dO, hi)), p.scale),
        p.dFinalState ? perState(p.dFinalState) : Value());
    results = {d.dq, d.dk, d.dv, d.dbeta};
    if (gated)
      results.push_back(d.dg);
    if (init)
      results.push_back(d.dInitialState);
  }
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forall.getTerminator().getBody());
    // Only the inserts may be in the terminator: constant offsets as
    // attributes.
    OpFoldResult zero = idx(0);
    for (auto [r, dest] : llvm::zip(results, forall.getRegionIterArgs())) {
      auto rt = cast<RankedTensorType>(r.getType());
      bool state = init && r == results.back();
      SmallVector<OpFoldResult> offsets(rt.getRank(), zero), sizes, strides;
      offsets[0] = bi;
      offsets[state ? 1 : 2] = hi;
      for (int64_t i = 0; i < rt.getRank(); ++i) {
        sizes.push_back(idx(rt.getDimSize(i)));
        strides.push_back(one);
      }
      tensor::ParallelInsertSliceOp::create(b, loc, r, dest, offsets, sizes,
                                            strides);
    }
  }
  ValueRange all = forall.getResults();
  Grads out;
  out.dq = all[0];
  out.dk = sumHeadGroups(all[1]);
  out.dv = sumHeadGroups(all[2]);
  out.dbeta = all[3];
  if (gated)
    out.dg = all[4];
  if (init)
    out.dInitialState = all.back();
  return out;
}

/// Reads a gradient op into a GradProblem, or says why it cannot be
/// expanded.
FailureOr<GradProblem> describe(Operation *op, Value q, Value k, Value v,
                                Value g, Value dO, Value s0, Value dS,
                                std::optional<APFloat> scale) {
  for (Value x : op->getOperands())
    if (!cast<ShapedType>(x.getType()).hasStaticShape())
      return op->emitOpError()
             << "gradients need static shapes (attn-expand-grad), got "
             << x.getType();
  GradProblem p;
  p.q = q;
  p.k = k;
  p.v = v;
  p.g = g;
  p.dO = dO;
  p.initialState = s0;
  p.dFinalState = dS;
  auto qt = cast<ShapedType>(q.getType());
  p.T = qt.getDimSize(1);
  p.Hq = qt.getDimSize(2);
  p.Hkv = cast<ShapedType>(k.getType()).getDimSize(2);
  p.scale = scale ? scale->convertToDouble()
                  : 1.0 / std::sqrt(static_cast<double>(qt.getDimSize(3)));
  return p;
}

/// Replaces `op` by the expansion: its results in order, converted to their
/// types.
void replaceGradOp(OpBuilder &b, Operation *op, const Grads &grads) {
  LinalgBuilder lb(b, op->getLoc());
  SmallVector<Value> values = {grads.dq, grads.dk, grads.dv};
  if (grads.dbeta)
    values.push_back(grads.dbeta);
  if (grads.dg)
    values.push_back(grads.dg);
  if (grads.dInitialState)
    values.push_back(grads.dInitialState);
  SmallVector<Value> results;
  for (auto [value, result] : llvm::zip(values, op->getResults()))
    results.push_back(lb.convertElements(
        value, cast<ShapedType>(result.getType()).getElementType()));
  op->replaceAllUsesWith(results);
  op->erase();
}

struct AttnExpandGradPass
    : public mlir::attn::impl::AttnExpandGradBase<AttnExpandGradPass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (isa<LinearAttentionGradOp, GatedLinearAttentionGradOp,
              SoftmaxAttentionGradOp, DeltaRuleGradOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      OpBuilder b(op);
      FailureOr<GradProblem> p;
      if (auto sm = dyn_cast<SoftmaxAttentionGradOp>(op)) {
        p = describe(op, sm.getQ(), sm.getK(), sm.getV(), Value(), sm.getDO(),
                     Value(), Value(), sm.getScale());
        if (failed(p))
          return signalPassFailure();
        p->causal = sm.getCausal();
        p->window = static_cast<int64_t>(sm.getWindow().value_or(0));
        p->Tk = cast<ShapedType>(sm.getK().getType()).getDimSize(1);
        replaceGradOp(b, op, GradExpander(b, op->getLoc(), *p).expandSoftmax());
        continue;
      }
      if (auto delta = dyn_cast<DeltaRuleGradOp>(op)) {
        p = describe(op, delta.getQ(), delta.getK(), delta.getV(),
                     delta.getG(), delta.getDO(), delta.getInitialState(),
                     delta.getDFinalState(), delta.getScale());
        if (failed(p))
          return signalPassFailure();
        p->beta = delta.getBeta();
        replaceGradOp(b, op, GradExpander(b, op->getLoc(), *p).expandDelta());
        continue;
      }
      if (auto lin = dyn_cast<LinearAttentionGradOp>(op)) {
        p = describe(op, lin.getQ(), lin.getK(), lin.getV(), Value(),
                     lin.getDO(), lin.getInitialState(), lin.getDFinalState(),
                     lin.getScale());
        if (succeeded(p)) {
          p->featureMap = lin.getFeatureMap();
          p->causal = lin.getCausal();
        }
      } else {
        auto gla = cast<GatedLinearAttentionGradOp>(op);
        p = describe(op, gla.getQ(), gla.getK(), gla.getV(), gla.getG(),
                     gla.getDO(), gla.getInitialState(), gla.getDFinalState(),
                     gla.getScale());
      }
      if (failed(p))
        return signalPassFailure();
      Grads grads = GradExpander(b, op->getLoc(), *p).expand();
      replaceGradOp(b, op, grads);
    }
  }
};

} // namespace
