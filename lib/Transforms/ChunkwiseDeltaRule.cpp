//===- ChunkwiseDeltaRule.cpp - the delta rule's WY/UT transform ----------===//
//
// In a delta rule chunk the values u that enter the output and the state
// update are u = U - W S, from the WY/UT transform of the chunk:
// A = (I + StrictTril(diag(beta) exp(b_t - b_s) K K^T))^-1 by forward
// substitution, W = A diag(beta exp(b)) K, U = A diag(beta) V.
//
//===----------------------------------------------------------------------===//
#include "ChunkwiseLowering.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::attn;

/// The chunk's WY/UT transform: K K^T, A = (I + L)^-1, U0 = A bv, W = A bk.
DeltaWY LinearChunkEmitter::emitDeltaWY(const Chunk &c) {
  OpBuilder &b = lb.builder();
  bool gated = c.gate != nullptr;
  // L[t,s] = beta_t exp(b_t - b_s) k_t . k_s for s < t. Dims (b, h, t, s, i).
  Value kk = lb.generic({c.k, c.k}, lb.filled({B, H, C, C}, 0.0),
                        {m(5, {0, 2, 1, 4}), m(5, {0, 3, 1, 4}),
                         m(5, {0, 1, 2, 3})},
                        {4}, mulAcc);
  SmallVector<Value> lins{kk, c.beta};
  SmallVector<AffineMap> lmaps{m(4, {0, 1, 2, 3}), m(4, {0, 2, 1})};
  if (gated) {
    lins.append({c.cum, c.cum});
    lmaps.append({m(4, {0, 1, 2}), m(4, {0, 1, 3})});
  }
  Value lower = lb.map(
      lins, kk, lb.f32(), lmaps,
      [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
        Value below = visible(bb, l, 2, 3, /*strict=*/true);
        Value x = mul(bb, l, LinalgBuilder::toF32(bb, l, a[1]), a[0]);
        if (gated) {
          Value diff =
              select(bb, l, below, sub(bb, l, a[2], a[3]), cst(bb, l, kNegInf));
          x = mul(bb, l, x, exp(bb, l, diff));
        }
        return select(bb, l, below, x, cst(bb, l, 0.0));
      });

  // A = (I + L)^-1 by forward substitution, one row per step: rows >= r of
  // A are still identity rows, and L[r, s >= r] = 0, so
  // A[r, :] = e_r - sum_s L[r, s] A[s, :].
  Value identity =
      lb.map({}, kk, lb.f32(), {}, [&](OpBuilder &bb, Location l, ValueRange) {
        Value diag =
            cmpIdx(bb, l, arith::CmpIPredicate::eq, idx(bb, l, 2), idx(bb, l, 3));
        return select(bb, l, diag, cst(bb, l, 1.0), cst(bb, l, 0.0));
      });
  Value lo = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value hi = getValueOrCreateConstantIndexOp(b, loc, C);
  auto solve = scf::ForOp::create(
      b, loc, lo, hi, one, ValueRange{identity},
      [&](OpBuilder &nb, Location nl, Value r, ValueRange iter) {
        LinalgBuilder rb(nb, nl);
        Value a = iter[0];
        constexpr unsigned U = LinalgBuilder::kUnit;
        OpFoldResult unit = nb.getIndexAttr(1);
        Value lRow = rb.sliceRange(lower, 2, r, unit); // [B, H, 1, C] over s
        // Dims (b, h, j, s).
        Value acc = rb.contraction(
            {lRow, a}, rb.filled({B, H, unit, C}, 0.0),
            {rb.proj(4, {0, 1, U, 3}), rb.proj(4, {0, 1, 3, 2}),
             rb.proj(4, {0, 1, U, 2})},
            [&](OpBuilder &bb, Location l, ValueRange x) {
              return add(bb, l, x[2], mul(bb, l, x[0], x[1]));
            });
        Value row = rb.map(
            {acc}, acc, rb.f32(), {rb.proj(4, {0, 1, 2, 3})},
            [&](OpBuilder &bb, Location l, ValueRange x) {
              Value diag =
                  cmpIdx(bb, l, arith::CmpIPredicate::eq, idx(bb, l, 3), r);
              Value e = select(bb, l, diag, cst(bb, l, 1.0), cst(bb, l, 0.0));
              return sub(bb, l, e, x[0]);
            });
        scf::YieldOp::create(nb, nl, rb.insertRange(row, a, 2, r));
      });
  Value inv = solve.getResult(0);

  // The right-hand sides scaled first, so that the products are plain
  // contractions: bv[s,j] = beta_s v_s[j], bk[s,i] = beta_s exp(b_s) k_s[i].
  // Dims (b, h, s, x).
  Value bv = lb.map({c.beta, c.v}, {B, H, C, Dv}, lb.f32(),
                    {m(4, {0, 2, 1}), m(4, {0, 2, 1, 3})},
                    [&](OpBuilder &bb, Location l, ValueRange a) {
                      return mul(bb, l, LinalgBuilder::toF32(bb, l, a[0]),
                                 LinalgBuilder::toF32(bb, l, a[1]));
                    });
  SmallVector<Value> kins{c.beta, c.k};
  SmallVector<AffineMap> kmaps{m(4, {0, 2, 1}), m(4, {0, 2, 1, 3})};
  if (gated) {
    kins.push_back(c.cum);
    kmaps.push_back(m(4, {0, 1, 2}));
  }
  Value bk = lb.map(kins, {B, H, C, Dk}, lb.f32(), kmaps,
                    [&](OpBuilder &bb, Location l, ValueRange a) {
                      Value x = mul(bb, l, LinalgBuilder::toF32(bb, l, a[0]),
                                    LinalgBuilder::toF32(bb, l, a[1]));
                      return gated ? mul(bb, l, x, exp(bb, l, a[2])) : x;
                    });
  // U0 = A bv, W = A bk; dims (b, h, t, j, s).
  auto timesA = [&](Value rhs, OpFoldResult cols) {
    return lb.contraction(
        {inv, rhs}, lb.filled({B, H, C, cols}, 0.0),
        {m(5, {0, 1, 2, 4}), m(5, {0, 1, 4, 3}), m(5, {0, 1, 2, 3})}, mulAcc);
  };
  return {kk, inv, timesA(bv, Dv), timesA(bk, Dk)};
}

/// The delta rule's u = U0 - W S; dims (b, h, t, j, i).
Value LinearChunkEmitter::emitDeltaValues(const DeltaWY &wy, Value s) {
  return lb.contraction({wy.w, s}, wy.u0,
                        {m(5, {0, 1, 2, 4}), m(5, {0, 1, 4, 3}),
                         m(5, {0, 1, 2, 3})},
                        [&](OpBuilder &bb, Location l, ValueRange a) {
                          return sub(bb, l, a[2], mul(bb, l, a[0], a[1]));
                        });
}
