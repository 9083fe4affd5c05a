//===- ChunkwiseSoftmax.cpp - softmax attention in FlashAttention tiles ---===//
//
// Softmax attention's chunkwise form is FlashAttention-2 tiling: for each
// query block, an scf.for over key blocks keeps the running row max m, sum l
// and output, rescaled by exp(m_old - m_new); key blocks entirely above the
// causal diagonal are not visited.
//
//===----------------------------------------------------------------------===//
#include "ChunkwiseLowering.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Query blocks of at least this many rows read K transposed (see
/// emitTiledSoftmax).
constexpr int64_t kMinRowsForTransposedKeys = 16;

} // namespace

Value mlir::attn::emitTiledSoftmax(LinalgBuilder &lb, SoftmaxAttentionOp op,
                                   int64_t queryBlock, int64_t keyBlock) {
  OpBuilder &b = lb.builder();
  Location loc = lb.getLoc();
  Value scale = emitScale(lb, op);
  bool causal = op.getCausal();
  Value q = op.getQ(), k = op.getK(), v = op.getV();
  OpFoldResult B = lb.size(q, 0), Tq = lb.size(q, 1), H = lb.size(q, 2),
               Tk = lb.size(k, 1), Dv = lb.size(v, 3);
  OpFoldResult CQ = b.getIndexAttr(queryBlock), C = b.getIndexAttr(keyBlock);
  AffineExpr d0;
  bindDims(b.getContext(), d0);
  auto blocks = [&](OpFoldResult t, int64_t size) {
    return affine::makeComposedFoldedAffineApply(b, loc, d0.ceilDiv(size),
                                                 {t});
  };
  OpFoldResult NQ = blocks(Tq, queryBlock), NK = blocks(Tk, keyBlock);
  OpFoldResult Tqp = mulIdx(b, loc, NQ, CQ), Tkp = mulIdx(b, loc, NK, C);
  Value qp = lb.padWithZeros(q, 1, Tqp), kp = lb.padWithZeros(k, 1, Tkp),
        vp = lb.padWithZeros(v, 1, Tkp);
  // With query blocks of many rows, K^T [B, H, Dk, Tkp] is transposed once:
  // every query block reads every key block, and the scores' product wants
  // keys contiguous. A few query rows (decode) read each key once: there
  // the scores are dot products along Dk, and a transpose would only add a
  // pass over the whole cache.
  bool transposeK = queryBlock >= kMinRowsForTransposedKeys;
  Value kt;
  if (transposeK) {
    Type kType = cast<ShapedType>(k.getType()).getElementType();
    kt = lb.map({kp}, {B, H, lb.size(k, 3), Tkp}, kType,
                {lb.proj(4, {0, 3, 1, 2})},
                [](OpBuilder &, Location, ValueRange a) { return a[0]; });
  }
  Value tkV = getValueOrCreateConstantIndexOp(b, loc, Tk);
  Value offset =
      arith::SubIOp::create(b, loc, tkV, getValueOrCreateConstantIndexOp(b, loc, Tq));
  Value cV = getValueOrCreateConstantIndexOp(b, loc, C);
  Value cqV = getValueOrCreateConstantIndexOp(b, loc, CQ);
  Value nkV = getValueOrCreateConstantIndexOp(b, loc, NK);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  std::optional<uint64_t> window = op.getWindow();
  Value windowV =
      window ? arith::ConstantIndexOp::create(b, loc, *window).getResult()
             : Value();

  // Query blocks are independent: a parallel loop (OpenMP threads where the
  // heads alone do not fill the cores), writing o in its final layout and
  // type [B, Tqp, H, Dv] in place.
  Type outType = outputElementType(op);
  auto outer = scf::ForallOp::create(b, loc, ArrayRef<OpFoldResult>{NQ},
                                     ValueRange{lb.empty({B, Tqp, H, Dv}, outType)},
                                     /*mapping=*/std::nullopt);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(outer.getTerminator());
    OpBuilder &ob = b;
    Location ol = loc;
    LinalgBuilder qlb(ob, ol);
    Value qb = outer.getInductionVar(0);
    std::optional<int64_t> staticBlocks = getConstantIntValue(NQ);
    if (causal && (!staticBlocks || *staticBlocks > 2)) {
      // Causal blocks grow with their index; iteration i takes block i / 2
      // when even and NQ - 1 - i / 2 when odd, so any contiguous share of
      // the iterations (OpenMP's static schedule) holds balanced pairs.
      Value two = arith::ConstantIndexOp::create(ob, ol, 2);
      Value half = arith::DivUIOp::create(ob, ol, qb, two);
      Value odd = cmpIdx(ob, ol, arith::CmpIPredicate::eq,
                         arith::RemUIOp::create(ob, ol, qb, two), one);
      Value last = arith::SubIOp::create(
          ob, ol, getValueOrCreateConstantIndexOp(ob, ol, NQ), one);
      qb = select(ob, ol, odd, arith::SubIOp::create(ob, ol, last, half), half);
    }
    {
        Value qStart = arith::MulIOp::create(ob, ol, qb, cqV);
        Value qBlk = qlb.sliceRange(qp, 1, qStart, CQ);
        // Causal: the last query of the block sees keys < qStart + CQ + off.
        Value kbEnd = nkV;
        if (causal) {
          Value lastKey = arith::AddIOp::create(
              ob, ol, arith::AddIOp::create(ob, ol, qStart, cqV), offset);
          Value needed = arith::CeilDivUIOp::create(ob, ol, lastKey, cV);
          kbEnd = arith::MinUIOp::create(ob, ol, needed, nkV);
        }
        // A window: the first query of the block sees keys from
        // qStart + off + 1 - W on; earlier key blocks are not visited.
        Value kbBegin = zero;
        if (window) {
          Value firstEnd = arith::AddIOp::create(
              ob, ol, arith::AddIOp::create(ob, ol, qStart, offset), one);
          Value past = cmpIdx(ob, ol, arith::CmpIPredicate::ugt, firstEnd,
                              windowV);
          Value first = arith::DivUIOp::create(
              ob, ol, arith::SubIOp::create(ob, ol, firstEnd, windowV), cV);
          kbBegin = select(ob, ol, past, first, zero);
        }
        SmallVector<Value> inits{qlb.filled({B, H, CQ}, kNegInf),
                                 qlb.filled({B, H, CQ}, 0.0),
                                 qlb.filled({B, H, CQ, Dv}, 0.0)};
        auto inner = scf::ForOp::create(
            ob, ol, kbBegin, kbEnd, one, inits,
            [&](OpBuilder &ib, Location il, Value kb, ValueRange it) {
              LinalgBuilder klb(ib, il);
              Value kStart = arith::MulIOp::create(ib, il, kb, cV);
              Value kBlk = transposeK ? klb.sliceRange(kt, 3, kStart, C)
                                      : klb.sliceRange(kp, 1, kStart, C);
              Value vBlk = klb.sliceRange(vp, 1, kStart, C);
              Value mOld = it[0], lOld = it[1], accOld = it[2];
              AffineMap s4 = klb.proj(4, {0, 1, 2, 3}),
                        r4 = klb.proj(4, {0, 1, 2});
              // x[t,s] = scale q_t . k_s, -inf where masked or padded.
              Value dots = klb.generic(
                  {qBlk, kBlk}, klb.filled({B, H, CQ, C}, 0.0),
                  {klb.proj(5, {0, 2, 1, 4}),
                   transposeK ? klb.proj(5, {0, 1, 4, 3})
                              : klb.proj(5, {0, 3, 1, 4}),
                   klb.proj(5, {0, 1, 2, 3})},
                  {4}, mulAcc);
              Value logits = klb.map(
                  {dots}, dots, klb.f32(), {s4},
                  [&](OpBuilder &bb, Location l, ValueRange a) {
                    Value s = arith::AddIOp::create(bb, l, kStart, idx(bb, l, 3));
                    Value ok =
                        cmpIdx(bb, l, arith::CmpIPredicate::ult, s, tkV);
                    if (causal) {
                      Value t =
                          arith::AddIOp::create(bb, l, qStart, idx(bb, l, 2));
                      Value last = arith::AddIOp::create(bb, l, t, offset);
                      ok = arith::AndIOp::create(
                          bb, l, ok,
                          cmpIdx(bb, l, arith::CmpIPredicate::ule, s, last));
                      if (window) {
                        // Inside the window: s + W > t + off.
                        Value sw = arith::AddIOp::create(bb, l, s, windowV);
                        ok = arith::AndIOp::create(
                            bb, l, ok,
                            cmpIdx(bb, l, arith::CmpIPredicate::ugt, sw,
                                   last));
                      }
                    }
                    return select(bb, l, ok, mul(bb, l, scale, a[0]),
                                  cst(bb, l, kNegInf));
                  });
              // Every loop-carried value is updated in place after its last
              // read, so bufferization keeps one buffer per value.
              Value blockMax = klb.generic(
                  {logits}, klb.filled({B, H, CQ}, kNegInf), {s4, r4}, {3},
                  [&](OpBuilder &bb, Location l, ValueRange a) {
                    return arith::MaximumFOp::create(bb, l, a[1], a[0]);
                  });
              auto newMax = [](OpBuilder &bb, Location l, Value mo, Value bm) {
                return arith::MaximumFOp::create(bb, l, mo, bm);
              };
              // alpha = exp(m_old - m_new), 1 while the row has seen nothing.
              AffineMap r3 = klb.proj(3, {0, 1, 2});
              Value alpha = klb.map(
                  {mOld, blockMax}, mOld, klb.f32(), {r3, r3},
                  [&](OpBuilder &bb, Location l, ValueRange a) {
                    Value mn = newMax(bb, l, a[0], a[1]);
                    Value none = arith::CmpFOp::create(
                        bb, l, arith::CmpFPredicate::OEQ, mn,
                        cst(bb, l, kNegInf));
                    return select(bb, l, none, cst(bb, l, 1.0),
                                  exp(bb, l, sub(bb, l, a[0], mn)));
                  });
              Value prob = klb.map(
                  {logits, mOld, blockMax}, logits, klb.f32(), {s4, r4, r4},
                  [&](OpBuilder &bb, Location l, ValueRange a) {
                    Value masked = arith::CmpFOp::create(
                        bb, l, arith::CmpFPredicate::OEQ, a[0],
                        cst(bb, l, kNegInf));
                    Value mn = newMax(bb, l, a[1], a[2]);
                    return select(bb, l, masked, cst(bb, l, 0.0),
                                  exp(bb, l, sub(bb, l, a[0], mn)));
                  });
              Value mNew = klb.generic(
                  {blockMax}, mOld, {r3, r3}, {},
                  [&](OpBuilder &bb, Location l, ValueRange a) {
                    return newMax(bb, l, a[1], a[0]);
                  });
              auto scaleBy = [](OpBuilder &bb, Location l, ValueRange a) {
                return mul(bb, l, a[1], a[0]);
              };
              Value lScaled = klb.generic({alpha}, lOld, {r3, r3}, {}, scaleBy);
              Value lNew = klb.generic({prob}, lScaled, {s4, r4}, {3},
                                       [&](OpBuilder &bb, Location l,
                                           ValueRange a) {
                                         return add(bb, l, a[1], a[0]);
                                       });
              Value accScaled =
                  klb.generic({alpha}, accOld, {r4, s4}, {}, scaleBy);
              // Dims (b, h, t, j, s).
              Value accNew = klb.contraction(
                  {prob, vBlk}, accScaled,
                  {klb.proj(5, {0, 1, 2, 4}), klb.proj(5, {0, 4, 1, 3}),
                   klb.proj(5, {0, 1, 2, 3})},
                  [&](OpBuilder &bb, Location l, ValueRange a) {
                    Value vv = LinalgBuilder::toF32(bb, l, a[1]);
                    return add(bb, l, a[2], mul(bb, l, a[0], vv));
                  });
              scf::YieldOp::create(ib, il, ValueRange{mNew, lNew, accNew});
            });
        Value lFinal = inner.getResult(1), accFinal = inner.getResult(2);
        // o rows = acc / l, [B, H, CQ, Dv] into o's [B, CQ, H, Dv] block.
        Value oAll = outer.getRegionIterArgs()[0];
        Value oBlk = emitOutputInto(qlb, accFinal, qlb.proj(4, {0, 2, 1, 3}),
                                    lFinal, qlb.proj(4, {0, 2, 1}),
                                    cst(ob, ol, 1.0),
                                    qlb.sliceRange(oAll, 1, qStart, CQ));
        SmallVector<OpFoldResult> offsets(4, ob.getIndexAttr(0)),
            strides(4, ob.getIndexAttr(1));
        offsets[1] = qStart;
        SmallVector<OpFoldResult> sizes{B, CQ, H, Dv};
        ob.setInsertionPointToStart(outer.getTerminator().getBody());
        tensor::ParallelInsertSliceOp::create(ob, ol, oBlk, oAll, offsets,
                                              sizes, strides);
    }
  }
  Value o = outer.getResult(0);
  if (getConstantIntValue(Tqp) != getConstantIntValue(Tq) ||
      !getConstantIntValue(Tq))
    o = lb.sliceRange(o, 1, b.getIndexAttr(0), Tq);
  return o;
}
