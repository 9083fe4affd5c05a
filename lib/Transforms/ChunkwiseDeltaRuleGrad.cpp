//===- ChunkwiseDeltaRuleGrad.cpp - the delta rule's backward in chunks ---===//
//
// In a chunk with start state S0, in-chunk cumulative log-decay b_t (0
// without a gate), E[t,s] = exp(b_t - b_s) and the WY/UT transform of
// ChunkwiseDeltaRule.cpp, the forward is
//   A = I + StrictTril(diag(beta) (E (.) K K^T)),
//   u = A^-1 diag(beta) (V - diag(exp(b)) K S0),
//   O = c (diag(exp(b)) Q S0 + P u),   P = Tril(E (.) Q K^T),
//   S_end = exp(b_C) S0 + K^T diag(exp(b_C - b)) u.
// Given dO (times c here) and dE = dL/dS_end, backward through each line:
//   du = P^T dO + diag(exp(b_C - b)) K dE,   dW = A^-T du,
//   dP = Tril(dO u^T):      dQ = (dP (.) E) K + diag(exp(b)) dO S0^T,
//                           dK = (dP (.) E)^T Q + ...
//   dA = -dW u^T (strictly lower part X): dbeta_t = sum_s X E K K^T, and
//        Z = diag(beta) (X (.) E) adds Z K + Z^T K to dK,
//   from the right-hand side: dV = diag(beta) dW, dbeta += rows of
//        dW (.) (V - diag(exp(b)) K S0), dK -= Zw S0^T, dS0 -= K^T Zw with
//        Zw = diag(beta exp(b)) dW,
//   dS0 += exp(b_C) dE + Q^T diag(exp(b)) dO (dS0 is the previous chunk's dE).
// Every product E[t,s] X[t,s] gives b_t the row sum and b_s minus the column
// sum of X (.) (its factor), and the g_t are reverse cumulative sums of db
// within the chunk. The forward loop keeps only the chunk start states; u,
// A^-1 and the scores are recomputed in the reverse loop.
//
//===----------------------------------------------------------------------===//
#include "ChunkwiseLowering.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::attn;

namespace {

Value copyBody(OpBuilder &, Location, ValueRange a) { return a[0]; }
Value sumBody(OpBuilder &b, Location l, ValueRange a) {
  return add(b, l, a[1], a[0]);
}
/// out - x * y.
Value mulSubBody(OpBuilder &b, Location l, ValueRange a) {
  return sub(b, l, a[2], mul(b, l, a[0], a[1]));
}

} // namespace

std::pair<DeltaRuleGrads, Value>
LinearChunkEmitter::emitDeltaChunkGrad(const Chunk &c, Value dO, Value s0,
                                       Value dE) {
  const bool gated = c.gate != nullptr;
  const AffineMap o5 = m(5, {0, 1, 2, 3}), id4 = m(4, {0, 1, 2, 3}),
                  row4 = m(4, {0, 1, 2}), cum4 = m(4, {0, 1, 2}),
                  beta4 = m(4, {0, 2, 1});
  auto zeros = [&](ArrayRef<OpFoldResult> sizes) {
    return lb.filled(sizes, 0.0);
  };
  // x[b,h,t,...] exp(b_t), or exp(b_C - b_t) with `fromEnd`.
  auto decayRows = [&](Value x, bool fromEnd) {
    if (!gated)
      return x;
    if (fromEnd)
      return lb.map({x, c.last, c.cum}, x, lb.f32(),
                    {id4, m(4, {0, 1}), cum4},
                    [&](OpBuilder &b, Location l, ValueRange a) {
                      return mul(b, l, a[0], exp(b, l, sub(b, l, a[1], a[2])));
                    });
    return lb.map({x, c.cum}, x, lb.f32(), {id4, cum4},
                  [&](OpBuilder &b, Location l, ValueRange a) {
                    return mul(b, l, a[0], exp(b, l, a[1]));
                  });
  };
  // x[b,h,t,s] E[t,s] where s <= t (s < t with `strict`), else 0.
  auto maskDecay = [&](Value x, bool strict) {
    SmallVector<Value> ins{x};
    SmallVector<AffineMap> maps{id4};
    if (gated) {
      ins.append({c.cum, c.cum});
      maps.append({m(4, {0, 1, 2}), m(4, {0, 1, 3})});
    }
    return lb.map(ins, x, lb.f32(), maps,
                  [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                    Value vis = visible(b, l, 2, 3, strict);
                    Value y = a[0];
                    if (gated)
                      y = mul(b, l, y,
                              exp(b, l,
                                  select(b, l, vis, sub(b, l, a[1], a[2]),
                                         cst(b, l, kNegInf))));
                    return select(b, l, vis, y, cst(b, l, 0.0));
                  });
  };
  // sum_d x[b,h,t,d] y[b,h,t,d] (x read through xMap).
  auto rowDot = [&](Value x, AffineMap xMap, Value y) {
    return lb.generic({x, y}, zeros({B, H, C}), {xMap, id4, row4}, {3},
                      mulAcc);
  };
  auto times = [&](Value x, Value y, AffineMap yMap) {
    return lb.map({x, y}, x, lb.f32(), {id4, yMap},
                  [&](OpBuilder &b, Location l, ValueRange a) {
                    return mul(b, l, a[0], a[1]);
                  });
  };

  DeltaWY wy = emitDeltaWY(c);
  Value u = emitDeltaValues(wy, s0);   // [B, H, C, Dv]
  Value scores = emitIntraScores(c);   // P [B, H, C, C]
  // dO exp(b_t) [B, H, C, Dv]: what the inter-chunk products read.
  Value dOg = decayRows(lb.map({dO}, {B, H, C, Dv}, lb.f32(),
                               {m(4, {0, 2, 1, 3})}, copyBody),
                        false);

  // du = P^T dO + exp(b_C - b_s) K dE; dims (b, h, s, j, x).
  Value kdE = lb.contraction({c.k, dE}, zeros({B, H, C, Dv}),
                             {m(5, {0, 2, 1, 4}), m(5, {0, 1, 4, 3}), o5},
                             mulAcc);
  Value du = lb.contraction({scores, dO}, decayRows(kdE, true),
                            {m(5, {0, 1, 4, 2}), m(5, {0, 4, 1, 3}), o5},
                            mulAcc);

  // dP = dO u^T on s <= t; dPE = dP (.) E. Dims (b, h, t, s, j).
  Value dP = lb.contraction({dO, u}, zeros({B, H, C, C}),
                            {m(5, {0, 2, 1, 4}), m(5, {0, 1, 3, 4}), o5},
                            mulAcc);
  Value dPE = maskDecay(dP, /*strict=*/false);

  // dQ = exp(b_t) S0 dO_t + dPE K; dims (b, h, t, i, x).
  Value dQinter = lb.contraction({dOg, s0}, zeros({B, H, C, Dk}),
                                 {m(5, {0, 1, 2, 4}), m(5, {0, 1, 3, 4}), o5},
                                 mulAcc);
  Value dQ = lb.contraction({dPE, c.k}, dQinter,
                            {m(5, {0, 1, 2, 4}), m(5, {0, 4, 1, 3}), o5},
                            mulAcc);

  // dK = exp(b_C - b_s) dE u_s + dPE^T Q; dims (b, h, s, i, x).
  Value dKend = decayRows(
      lb.contraction({u, dE}, zeros({B, H, C, Dk}),
                     {m(5, {0, 1, 2, 4}), m(5, {0, 1, 3, 4}), o5}, mulAcc),
      true);
  Value dK = lb.contraction({dPE, c.q}, dKend,
                            {m(5, {0, 1, 4, 2}), m(5, {0, 4, 1, 3}), o5},
                            mulAcc);
  // <dE, S0>, what b_C gets from exp(b_C) S0: the last read of dE.
  Value endDot = gated ? lb.generic({dE, s0}, zeros({B, H}),
                                    {id4, id4, m(4, {0, 1})}, {2, 3}, mulAcc)
                       : Value();

  // dS0 = exp(b_C) dE + Q^T dOg (dims (b, h, i, j, t)), in place on dE: the
  // loop then keeps one buffer for dS.
  Value dS0 = dE;
  if (gated)
    dS0 = lb.generic({c.last}, dE, {m(4, {0, 1}), id4}, {},
                     [&](OpBuilder &b, Location l, ValueRange a) {
                       return mul(b, l, a[1], exp(b, l, a[0]));
                     });
  dS0 = lb.contraction({c.q, dOg}, dS0,
                       {m(5, {0, 4, 1, 2}), m(5, {0, 1, 4, 3}), o5}, mulAcc);

  // Through the solve: dW = A^-T du (dims (b, h, s, j, t)), X = -dW u^T
  // (dims (b, h, t, s, j)), kept strictly below the diagonal.
  Value dW = lb.contraction({wy.inv, du}, zeros({B, H, C, Dv}),
                            {m(5, {0, 1, 4, 2}), m(5, {0, 1, 4, 3}), o5},
                            mulAcc);
  Value X = lb.contraction({dW, u}, zeros({B, H, C, C}),
                           {m(5, {0, 1, 2, 4}), m(5, {0, 1, 3, 4}), o5},
                           mulSubBody);
  Value XE = maskDecay(X, /*strict=*/true);
  Value Y = times(XE, wy.kk, id4); // dL/dA (.) A / beta_t
  Value dBeta = lb.generic({Y}, zeros({B, H, C}), {id4, row4}, {3}, sumBody);
  Value Z = times(XE, c.beta, beta4);
  dK = lb.contraction({Z, c.k}, dK,
                      {m(5, {0, 1, 2, 4}), m(5, {0, 4, 1, 3}), o5}, mulAcc);
  dK = lb.contraction({Z, c.k}, dK,
                      {m(5, {0, 1, 4, 2}), m(5, {0, 4, 1, 3}), o5}, mulAcc);

  // The right-hand side diag(beta) (V - exp(b) K S0). kS = K S0: dims
  // (b, h, t, j, i).
  Value kS = lb.contraction({c.k, s0}, zeros({B, H, C, Dv}),
                            {m(5, {0, 2, 1, 4}), m(5, {0, 1, 4, 3}), o5},
                            mulAcc);
  Value kSg = decayRows(kS, false);
  dBeta = lb.generic({dW, c.v, kSg}, dBeta,
                     {id4, m(4, {0, 2, 1, 3}), id4, row4}, {3},
                     [&](OpBuilder &b, Location l, ValueRange a) {
                       return add(b, l, a[3],
                                  mul(b, l, a[0], sub(b, l, a[1], a[2])));
                     });
  Value dV = times(dW, c.beta, beta4);
  Value Zw = decayRows(dV, false);
  dK = lb.contraction({Zw, s0}, dK,
                      {m(5, {0, 1, 2, 4}), m(5, {0, 1, 3, 4}), o5}, mulSubBody);
  dS0 = lb.contraction({c.k, Zw}, dS0,
                       {m(5, {0, 4, 1, 2}), m(5, {0, 1, 4, 3}), o5}, mulSubBody);

  DeltaRuleGrads g{dQ, dK, dV, dBeta, Value(), Value()};
  if (!gated)
    return {g, dS0};

  // db: the factors' row-minus-column sums, G = dP (.) P + beta_t Y.
  Value G = lb.map({dP, scores, Y, c.beta}, dP, lb.f32(),
                   {id4, id4, id4, beta4},
                   [&](OpBuilder &b, Location l, ValueRange a) {
                     return add(b, l, mul(b, l, a[0], a[1]),
                                mul(b, l, a[2], a[3]));
                   });
  Value db = lb.generic({G, G}, zeros({B, H, C}),
                        {id4, m(4, {0, 1, 3, 2}), row4}, {3},
                        [&](OpBuilder &b, Location l, ValueRange a) {
                          return add(b, l, a[2], sub(b, l, a[0], a[1]));
                        });
  // The terms in exp(b_t) and exp(b_C - b_s): + q_t . dQinter_t
  // - Zw_t . kS_t - k_s . dKend_s, and the last the same again into b_C.
  Value hk = rowDot(c.k, m(4, {0, 2, 1, 3}), dKend);
  Value qd = rowDot(c.q, m(4, {0, 2, 1, 3}), dQinter);
  Value wd = rowDot(Zw, id4, kS);
  AffineMap id3 = m(3, {0, 1, 2});
  db = lb.map({db, qd, wd, hk}, db, lb.f32(), {id3, id3, id3, id3},
              [&](OpBuilder &b, Location l, ValueRange a) {
                return sub(b, l, add(b, l, a[0], a[1]), add(b, l, a[2], a[3]));
              });
  // b_C collects exp(b_C) <dE, S0> + sum_s k_s . dKend_s; every g_t of the
  // chunk is in b_C.
  Value hSum = lb.generic({hk}, zeros({B, H}), {id3, m(3, {0, 1})}, {2},
                          sumBody);
  Value end = lb.map({endDot, c.last, hSum}, endDot, lb.f32(),
                     {m(2, {0, 1}), m(2, {0, 1}), m(2, {0, 1})},
                     [&](OpBuilder &b, Location l, ValueRange a) {
                       return add(b, l, mul(b, l, a[0], exp(b, l, a[1])), a[2]);
                     });
  // dg_t = end + sum_{s >= t} db_s; dims (b, h, t, s).
  Value dg0 = lb.map({end}, {B, H, C}, lb.f32(), {m(3, {0, 1})}, copyBody);
  g.dg = lb.generic({db}, dg0, {m(4, {0, 1, 3}), row4}, {3},
                    [&](OpBuilder &b, Location l, ValueRange a) {
                      return select(b, l, visible(b, l, 3, 2),
                                    add(b, l, a[1], a[0]), a[1]);
                    });
  return {g, dS0};
}

DeltaRuleGrads LinearChunkEmitter::emitDeltaBackward(int64_t chunk, Value dO,
                                                     Value dFinalState) {
  OpBuilder &b = lb.builder();
  const int64_t T = cast<ShapedType>(p.q.getType()).getDimSize(1);
  const int64_t N = (T + chunk - 1) / chunk, Tp = N * chunk;
  C = b.getIndexAttr(chunk);
  auto pad = [&](Value x) {
    return x && Tp != T ? lb.padWithZeros(x, 1, b.getIndexAttr(Tp)) : x;
  };
  Value q = pad(p.q), k = pad(p.k), v = pad(p.v), g = pad(p.gate),
        beta = pad(p.beta), dOp = pad(dO);
  Value lo = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value hi = arith::ConstantIndexOp::create(b, loc, N);
  OpFoldResult rowsOfStates = mulIdx(b, loc, b.getIndexAttr(N), Dk);
  auto chunkAt = [&](LinalgBuilder &cb, OpFoldResult start) {
    auto slice = [&](Value x) {
      return x ? cb.sliceRange(x, 1, start, C) : x;
    };
    return Chunk{slice(q), slice(k), slice(v), slice(g), slice(beta), {}, {}};
  };

  // Forward: every chunk's start state, stacked along the rows as
  // [B, H, N * Dk, Dv].
  auto forward = scf::ForOp::create(
      b, loc, lo, hi, one,
      ValueRange{initialStateOrZeros(lb, p),
                 lb.empty({B, H, rowsOfStates, Dv})},
      [&](OpBuilder &nb, Location nl, Value n, ValueRange iter) {
        LinalgBuilder cb(nb, nl);
        LinearChunkEmitter e(cb, p, scale);
        e.C = C;
        Chunk c = chunkAt(cb, mulIdx(nb, nl, n, C));
        e.emitDecays(c);
        Value s = iter[0];
        Value states = cb.insertRange(s, iter[1], 2, mulIdx(nb, nl, n, Dk));
        Value u = e.emitDeltaValues(e.emitDeltaWY(c), s);
        scf::YieldOp::create(nb, nl,
                             ValueRange{e.emitStateUpdate(c, s, u), states});
      });
  Value states = forward.getResult(1);

  // Backward over the chunks in reverse, dS carried, each chunk's rows of
  // the gradients written in place.
  SmallVector<Value> inits{
      dFinalState ? lb.copy(dFinalState) : lb.filled({B, H, Dk, Dv}, 0.0),
      lb.empty({B, b.getIndexAttr(Tp), H, Dk}),
      lb.empty({B, b.getIndexAttr(Tp), H, Dk}),
      lb.empty({B, b.getIndexAttr(Tp), H, Dv}),
      lb.empty({B, b.getIndexAttr(Tp), H})};
  if (g)
    inits.push_back(lb.empty({B, b.getIndexAttr(Tp), H}));
  auto backward = scf::ForOp::create(
      b, loc, lo, hi, one, inits,
      [&](OpBuilder &nb, Location nl, Value i, ValueRange iter) {
        LinalgBuilder cb(nb, nl);
        LinearChunkEmitter e(cb, p, scale);
        e.C = C;
        Value n = arith::SubIOp::create(
            nb, nl, arith::ConstantIndexOp::create(nb, nl, N - 1), i);
        OpFoldResult start = mulIdx(nb, nl, n, C);
        Chunk c = chunkAt(cb, start);
        e.emitDecays(c);
        Value s0 = cb.sliceRange(states, 2, mulIdx(nb, nl, n, Dk), Dk);
        auto [grads, dS0] = e.emitDeltaChunkGrad(
            c, cb.sliceRange(dOp, 1, start, C), s0, iter[0]);
        // [B, H, C, ...] into the rows [B, C, H, ...] of `dest`.
        auto store = [&](Value x, Value dest) {
          unsigned rank = cast<ShapedType>(x.getType()).getRank();
          SmallVector<unsigned> dims{0, 2, 1};
          if (rank == 4)
            dims.push_back(3);
          SmallVector<OpFoldResult> sizes = cb.sizes(x);
          std::swap(sizes[1], sizes[2]);
          Value t = cb.map({x}, sizes, cb.f32(), {cb.proj(rank, dims)},
                           copyBody);
          return cb.insertRange(t, dest, 1, start);
        };
        SmallVector<Value> yields{dS0, store(grads.dq, iter[1]),
                                  store(grads.dk, iter[2]),
                                  store(grads.dv, iter[3]),
                                  store(grads.dbeta, iter[4])};
        if (c.gate)
          yields.push_back(store(grads.dg, iter[5]));
        scf::YieldOp::create(nb, nl, yields);
      });
  auto unpad = [&](Value x) {
    return Tp != T ? lb.sliceRange(x, 1, b.getIndexAttr(0), b.getIndexAttr(T))
                   : x;
  };
  return {unpad(backward.getResult(1)),
          unpad(backward.getResult(2)),
          unpad(backward.getResult(3)),
          unpad(backward.getResult(4)),
          g ? unpad(backward.getResult(5)) : Value(),
          backward.getResult(0)};
}
