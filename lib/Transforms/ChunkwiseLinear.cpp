//===- ChunkwiseLinear.cpp - the linear family in chunks ------------------===//
//
// The linear family in chunks of C (docs/ops.md): T is padded with
// zeros up to N*C (a zero key, zero beta and zero log-decay leave the state
// unchanged, so padding is exact), and an scf.for over the N chunks carries
// the f32 state. Inside chunk n, with S the state at its start and
// b_t = sum_{s<=t} g_s the in-chunk cumulative log-decay (0 without a gate):
//
//   P[t,s] = (q_t . k_s) exp(b_t - b_s)   for s <= t (per key dimension for a
//                                          vector gate), else 0
//   o_t    = scale (exp(b_t) q_t^T S + sum_s P[t,s] u_s)
//   S'     = exp(b_C) S + sum_s exp(b_C - b_s) k_s u_s^T
//
// with u = v, except for the delta rule, whose u comes from the WY/UT
// transform (ChunkwiseDeltaRule.cpp). Every exponent is <= 0, so strong
// decays underflow to 0 instead of overflowing. The quadratic form is the
// same with one chunk (C = T); non-causal linear attention's quadratic form
// drops the mask.
//
//===----------------------------------------------------------------------===//
#include "ChunkwiseLowering.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Log-decays are clamped from below to this before the in-chunk cumulative
/// sums. exp(g) underflows to 0 in f32 for every g below it (-inf included),
/// so the recurrence does not change, but the differences b_t - b_s stay
/// finite (a gate of -inf would make them -inf - -inf = NaN) and the sums stay
/// small enough for f32 to resolve the weak decays after a strong one (with
/// g = -1e4 the f32 spacing of b is already 1e-3).
constexpr double kMinLogDecay = -110.0;

} // namespace

/// b_t = sum_{s <= t} g_s within the chunk, and b_C.
void LinearChunkEmitter::emitDecays(Chunk &c) {
  if (!c.gate)
    return;
  auto sumIf = [&](unsigned tDim, unsigned sDim) {
    return [=](OpBuilder &b, Location l, ValueRange a) -> Value {
      Value g = arith::MaximumFOp::create(
          b, l, LinalgBuilder::toF32(b, l, a[0]), cst(b, l, kMinLogDecay));
      // Not reassociable: b_t and b_C must be summed in the same order, so
      // that b_C - b_t cancels their shared prefix exactly. Reassociated
      // (vectorized) sums round differently; over T = 1000 strong gates
      // (|b| ~ 3000) that cost the final state 1e-3 of accuracy.
      Value inc = arith::AddFOp::create(b, l, a[1], g);
      if (tDim == ~0u)
        return inc;
      return select(b, l, cmpIdx(b, l, arith::CmpIPredicate::ule,
                                 idx(b, l, sDim), idx(b, l, tDim)),
                    inc, a[1]);
    };
  };
  if (p.vectorGate()) {
    // Dims (b, h, t, i, s) and (b, h, i, s); g is [B, C, H, Dk].
    c.cum = lb.generic({c.gate}, lb.filled({B, H, C, Dk}, 0.0),
                       {m(5, {0, 4, 1, 3}), m(5, {0, 1, 2, 3})}, {4},
                       sumIf(2, 4));
    c.last = lb.generic({c.gate}, lb.filled({B, H, Dk}, 0.0),
                        {m(4, {0, 3, 1, 2}), m(4, {0, 1, 2})}, {3},
                        sumIf(~0u, 0));
    return;
  }
  // Dims (b, h, t, s) and (b, h, s); g is [B, C, H].
  c.cum = lb.generic({c.gate}, lb.filled({B, H, C}, 0.0),
                     {m(4, {0, 3, 1}), m(4, {0, 1, 2})}, {3}, sumIf(2, 3));
  c.last = lb.generic({c.gate}, lb.filled({B, H}, 0.0),
                      {m(3, {0, 2, 1}), m(3, {0, 1})}, {2}, sumIf(~0u, 0));
}

/// P[b,h,t,s] = phi(q_t) . phi(k_s) exp(b_t - b_s) for visible s, else 0.
Value LinearChunkEmitter::emitIntraScores(const Chunk &c) {
  bool vec = p.vectorGate();
  // Dims (b, h, t, s, i).
  SmallVector<Value> ins{c.q, c.k};
  SmallVector<AffineMap> maps{m(5, {0, 2, 1, 4}), m(5, {0, 3, 1, 4})};
  if (vec) {
    ins.append({c.cum, c.cum});
    maps.append({m(5, {0, 1, 2, 4}), m(5, {0, 1, 3, 4})});
  }
  maps.push_back(m(5, {0, 1, 2, 3}));
  Value raw = lb.generic(
      ins, lb.filled({B, H, C, C}, 0.0), maps, {4},
      [&](OpBuilder &b, Location l, ValueRange a) {
        Value term = mul(b, l, phi(b, l, a[0]), phi(b, l, a[1]));
        if (vec) {
          // Select before exp: above the diagonal b_t - b_s > 0 may overflow.
          Value diff = select(b, l, visible(b, l, 2, 3), sub(b, l, a[2], a[3]),
                              cst(b, l, kNegInf));
          term = mul(b, l, term, exp(b, l, diff));
        }
        return add(b, l, a.back(), term);
      });
  bool scalar = c.gate && !vec;
  if (!p.causal && !scalar)
    return raw;
  SmallVector<Value> mins{raw};
  SmallVector<AffineMap> mmaps{m(4, {0, 1, 2, 3})};
  if (scalar) {
    mins.append({c.cum, c.cum});
    mmaps.append({m(4, {0, 1, 2}), m(4, {0, 1, 3})});
  }
  return lb.map(mins, raw, lb.f32(), mmaps,
                [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                  Value x = a[0];
                  if (scalar) {
                    Value diff = select(b, l, visible(b, l, 2, 3),
                                        sub(b, l, a[1], a[2]),
                                        cst(b, l, kNegInf));
                    x = mul(b, l, x, exp(b, l, diff));
                  }
                  if (!p.causal)
                    return x;
                  return select(b, l, visible(b, l, 2, 3), x, cst(b, l, 0.0));
                });
}

/// num[t,j] = exp(b_t) phi(q_t)^T S[:, j] + sum_s P[t,s] u_s[j].
Value LinearChunkEmitter::emitOutputNumerator(const Chunk &c, Value s,
                                              Value scores, Value u) {
  // With a gate, q_t is scaled by exp(b_t) first (per key dimension for a
  // vector gate), so that both products are plain contractions.
  Value q = c.q;
  AffineMap qMap = m(5, {0, 2, 1, 4}); // dims (b, h, t, j, i)
  if (c.cum) {
    bool vec = p.vectorGate();
    // Dims (b, h, t, i).
    q = lb.map({c.q, c.cum}, {B, H, C, Dk}, lb.f32(),
               {m(4, {0, 2, 1, 3}), vec ? m(4, {0, 1, 2, 3}) : m(4, {0, 1, 2})},
               [&](OpBuilder &b, Location l, ValueRange a) {
                 return mul(b, l, phi(b, l, a[0]), exp(b, l, a[1]));
               });
    qMap = m(5, {0, 1, 2, 4});
  }
  Value inter = lb.contraction({q, s}, lb.filled({B, H, C, Dv}, 0.0),
                               {qMap, m(5, {0, 1, 4, 3}), m(5, {0, 1, 2, 3})},
                               mulAcc);
  // Dims (b, h, t, j, s); u is [B, H, C, Dv] or, for plain v, [B, C, H, Dv].
  bool uIsV = u == c.v;
  return lb.contraction({scores, u}, inter,
                        {m(5, {0, 1, 2, 4}),
                         uIsV ? m(5, {0, 4, 1, 3}) : m(5, {0, 1, 4, 3}),
                         m(5, {0, 1, 2, 3})},
                        mulAcc);
}

/// den[t] = phi(q_t) . z + sum_s P[t,s] (normalized linear attention).
Value LinearChunkEmitter::emitDenominator(const Chunk &c, Value z,
                                          Value scores) {
  Value inter = lb.generic(
      {c.q, z}, lb.filled({B, H, C}, 0.0),
      {m(4, {0, 2, 1, 3}), m(4, {0, 1, 3}), m(4, {0, 1, 2})}, {3},
      [&](OpBuilder &b, Location l, ValueRange a) {
        return add(b, l, a[2], mul(b, l, phi(b, l, a[0]), a[1]));
      });
  return lb.generic({scores}, inter, {m(4, {0, 1, 2, 3}), m(4, {0, 1, 2})},
                    {3}, [&](OpBuilder &b, Location l, ValueRange a) {
                      return add(b, l, a[1], a[0]);
                    });
}

/// S' = exp(b_C) S + sum_s exp(b_C - b_s) phi(k_s) u_s^T.
Value LinearChunkEmitter::emitStateUpdate(const Chunk &c, Value s, Value u) {
  bool vec = p.vectorGate();
  Value decayed = s;
  // The keys as read by the product: k [B, C, H, Dk] itself, or
  // kdec[b,h,s,i] = exp(b_C - b_s) k_s[i]. Dims (b, h, i, j, s).
  Value kdec = c.k;
  AffineMap kMap = m(5, {0, 4, 1, 2});
  if (c.gate) {
    // In place on the loop-carried state, so that bufferization keeps one
    // state buffer for the whole loop.
    decayed = lb.generic({c.last}, s,
                         {vec ? m(4, {0, 1, 2}) : m(4, {0, 1}),
                          m(4, {0, 1, 2, 3})},
                         {}, [&](OpBuilder &b, Location l, ValueRange a) {
                           return mul(b, l, a[1], exp(b, l, a[0]));
                         });
    // Dims (b, h, s, i).
    kdec = lb.map({c.k, c.last, c.cum}, {B, H, C, Dk}, lb.f32(),
                  {m(4, {0, 2, 1, 3}), vec ? m(4, {0, 1, 3}) : m(4, {0, 1}),
                   vec ? m(4, {0, 1, 2, 3}) : m(4, {0, 1, 2})},
                  [&](OpBuilder &b, Location l, ValueRange a) {
                    Value kk = LinalgBuilder::toF32(b, l, a[0]);
                    return mul(b, l, kk, exp(b, l, sub(b, l, a[1], a[2])));
                  });
    kMap = m(5, {0, 1, 4, 2});
  }
  bool uIsV = u == c.v;
  return lb.contraction({kdec, u}, decayed,
                        {kMap, uIsV ? m(5, {0, 4, 1, 3}) : m(5, {0, 1, 4, 3}),
                         m(5, {0, 1, 2, 3})},
                        mulAcc);
}

/// z' = z + sum_s phi(k_s).
Value LinearChunkEmitter::emitNormalizerUpdate(const Chunk &c, Value z) {
  return lb.generic({c.k}, z, {m(4, {0, 3, 1, 2}), m(4, {0, 1, 2})}, {3},
                    [&](OpBuilder &b, Location l, ValueRange a) {
                      return add(b, l, a[1], phi(b, l, a[0]));
                    });
}

std::pair<Value, Value> LinearChunkEmitter::emit(OpFoldResult chunk) {
  OpBuilder &b = lb.builder();
  C = chunk;
  OpFoldResult T = lb.size(p.q, 1);
  // N = ceil(T / C), T padded to N * C when C does not divide it.
  OpFoldResult N = b.getIndexAttr(1), Tp = T;
  if (std::optional<int64_t> c = getConstantIntValue(C)) {
    AffineExpr d0;
    bindDims(b.getContext(), d0);
    N = affine::makeComposedFoldedAffineApply(b, loc, d0.ceilDiv(*c), {T});
    Tp = mulIdx(b, loc, N, C);
  }
  bool padded = getConstantIntValue(Tp) != getConstantIntValue(T) ||
                !getConstantIntValue(T);
  auto pad = [&](Value x) {
    return x && padded && Tp != T ? lb.padWithZeros(x, 1, Tp) : x;
  };
  Value q = pad(p.q), k = pad(p.k), v = pad(p.v), g = pad(p.gate),
        beta = pad(p.beta);

  // The output is carried in its final layout and type, [B, Tp, H, Dv], and
  // each chunk writes its rows in place: no pass over o after the loop.
  Type outType = outputElementType(p.op);
  SmallVector<Value> inits;
  inits.push_back(initialStateOrZeros(lb, p));
  inits.push_back(lb.empty({B, Tp, H, Dv}, outType));
  if (p.normalize)
    inits.push_back(lb.filled({B, H, Dk}, 0.0));

  Value lo = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value hi = getValueOrCreateConstantIndexOp(b, loc, N);
  auto loop = scf::ForOp::create(
      b, loc, lo, hi, one, inits,
      [&](OpBuilder &nb, Location nl, Value n, ValueRange iter) {
        LinalgBuilder cb(nb, nl);
        LinearChunkEmitter e(cb, p, scale);
        e.C = C;
        OpFoldResult start = mulIdx(nb, nl, n, C);
        auto slice = [&](Value x) {
          return x ? cb.sliceRange(x, 1, start, C) : x;
        };
        Chunk c{slice(q), slice(k), slice(v), slice(g), slice(beta), {}, {}};
        e.emitDecays(c);
        Value s = iter[0], o = iter[1];
        Value scores = e.emitIntraScores(c);
        Value u = p.beta ? e.emitDeltaValues(e.emitDeltaWY(c), s) : c.v;
        Value num = e.emitOutputNumerator(c, s, scores, u);
        Value den;
        if (p.normalize)
          den = e.emitDenominator(c, iter[2], scores);
        // num [B, H, C, Dv] and den [B, H, C] into o's rows [B, C, H, Dv].
        Value oc = emitOutputInto(cb, num, cb.proj(4, {0, 2, 1, 3}), den,
                                  cb.proj(4, {0, 2, 1}), scale, slice(o));
        SmallVector<Value> yields{e.emitStateUpdate(c, s, u),
                                  cb.insertRange(oc, o, 1, start)};
        if (p.normalize)
          yields.push_back(e.emitNormalizerUpdate(c, iter[2]));
        scf::YieldOp::create(nb, nl, yields);
      });

  Value o = loop.getResult(1);
  if (padded)
    o = lb.sliceRange(o, 1, b.getIndexAttr(0), T);
  return {o, loop.getResult(0)};
}
