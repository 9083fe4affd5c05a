//===- SoftmaxKernel.cpp - FlashAttention-2 style GPU kernel --------------===//
//
// One thread block owns (query block of 64 rows, batch b, head h); warp w owns
// query rows 16w..16w+15 and keeps everything of them in registers: its
// 16 x 64 score tile S = Q K^T (mma accumulators), the running max m and sum
// l of its rows, and its 16 x Dv output accumulators O. Per key block (K and
// V staged in shared memory by the whole block): S on the tensor cores, the
// online-softmax update on the accumulators (row max across the 4 lanes that
// share a row by shuffles), P = exp2(S - m) rounded to bf16 straight into the
// A-operand registers of O += P V (the accumulator layout of two adjacent
// n8 tiles is the A layout of one k16 step), and O = diag(alpha) O. Key
// blocks no query of the block sees (causal, sliding window) are skipped.
// Query t sits at key position t + (Tk - Tq) (decode: the last Tq positions).
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"
#include "TileMma.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::gpu_codegen;

namespace {

/// The reduction of `x` over the 4 lanes that hold one accumulator row.
Value quadReduce(KernelBuilder &kb, Value x, bool isMax) {
  for (int32_t offset : {1, 2}) {
    Value other = gpu::ShuffleOp::create(kb.b(), kb.loc(), x, offset, 32,
                                         gpu::ShuffleMode::XOR)
                      .getShuffleResult();
    x = isMax ? kb.fmax(x, other) : kb.fadd(x, other);
  }
  return x;
}

} // namespace

void mlir::attn::gpu_codegen::emitSoftmaxKernel(KernelBuilder &kb,
                                                const GpuProblem &p,
                                                const KernelArgs &args) {
  OpBuilder &b = kb.b();
  Location loc = kb.loc();
  const int64_t BM = kSoftmaxBlockRows, BN = kSoftmaxBlockKeys;
  const int64_t nS = BN / 8, nO = p.Dv / 8;
  Type bf16 = b.getBF16Type();
  Value zero = kb.idx(0);
  const double negInf = -std::numeric_limits<double>::infinity();

  Value bx = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  Value by = gpu::BlockIdOp::create(b, loc, gpu::Dimension::y);
  Value bIdx = kb.div(by, kb.idx(p.Hq));
  Value hIdx = kb.rem(by, kb.idx(p.Hq));
  Value hkv = kb.div(hIdx, kb.idx(p.Hq / p.Hkv));
  Value q0 = kb.mul(bx, kb.idx(BM));
  Value m0 = kb.mul(kb.warpId(), kb.idx(16)); // the warp's first row
  const int64_t offset = p.Tk - p.Tq;

  SmemTile qs = kb.allocTile(BM, p.Dk, bf16);
  SmemTile ks = kb.allocTile(BN, p.Dk, bf16);
  SmemTile vs = kb.allocTile(BN, p.Dv, bf16);
  loadRowsToTile(kb, qs, args.lookup("q"), bIdx, q0, hIdx, zero, p.Tq);

  // Key blocks [first, end) that some query of this block sees.
  int64_t keyBlocks = (p.Tk + BN - 1) / BN;
  Value end = kb.idx(keyBlocks), first = zero;
  if (p.causal) {
    Value lastKey = kb.add(q0, kb.idx(BM - 1 + offset));
    Value e = kb.div(kb.add(lastKey, kb.idx(BN)), kb.idx(BN));
    end = arith::MaxSIOp::create(b, loc, kb.minIdx(e, end), zero);
    if (p.window > 0) {
      Value firstKey = arith::MaxSIOp::create(
          b, loc, kb.add(q0, kb.idx(offset - p.window + 1)), zero);
      first = kb.minIdx(kb.div(firstKey, kb.idx(BN)), end);
    }
  }

  // The lane's two rows (accumulator elements 0-1 and 2-3).
  Value rowA = kb.add(kb.add(q0, m0), kb.div(kb.laneId(), kb.idx(4)));
  Value rows[2] = {rowA, kb.add(rowA, kb.idx(8))};
  Value colBase = kb.mul(kb.rem(kb.laneId(), kb.idx(4)), kb.idx(2));

  // Loop-carried: O (nO tiles x 4), m (2 rows), l (2 rows, lane partials).
  SmallVector<Value> init(nO * 4, kb.f32(0));
  init.push_back(kb.f32(negInf));
  init.push_back(kb.f32(negInf));
  init.push_back(kb.f32(0));
  init.push_back(kb.f32(0));
  const double scaleLog2 = p.scale * M_LOG2E;

  auto loop = scf::ForOp::create(
      b, loc, first, end, kb.idx(1), init,
      [&](OpBuilder &, Location, Value kbIdx, ValueRange carried) {
        Value k0 = kb.mul(kbIdx, kb.idx(BN));
        kb.barrier(); // the previous block's K and V are consumed
        loadRowsToTile(kb, ks, args.lookup("k"), bIdx, k0, hkv, zero, p.Tk);
        loadRowsToTile(kb, vs, args.lookup("v"), bIdx, k0, hkv, zero, p.Tk);
        kb.barrier();

        // S = Q K^T for the warp's 16 rows.
        SmallVector<SmallVector<Value>> s(nS,
                                          SmallVector<Value>(4, kb.f32(0)));
        for (int64_t kk = 0; kk < p.Dk; kk += 16) {
          SmallVector<Value> a = loadA(kb, {qs}, m0, kb.idx(kk));
          for (int64_t j = 0; j < nS; j += 2) {
            auto [b0, b1] = loadB2(kb, {ks, true}, kb.idx(kk), kb.idx(8 * j));
            s[j] = mma(kb, a, b0, s[j]);
            s[j + 1] = mma(kb, a, b1, s[j + 1]);
          }
        }

        // Scale to log2 units; mask only key blocks that some query of the
        // block cannot fully see (the causal diagonal, the window's edge,
        // the tail past Tk): one uniform branch per block.
        Value mOld[2] = {carried[nO * 4], carried[nO * 4 + 1]};
        Value lOld[2] = {carried[nO * 4 + 2], carried[nO * 4 + 3]};
        Value needMask = kb.lt(kb.idx(p.Tk), kb.add(k0, kb.idx(BN)));
        if (p.causal) {
          // Keys past the first query's position: k0 + BN - 1 > q0 + offset.
          needMask = arith::OrIOp::create(
              b, loc, needMask,
              kb.lt(kb.add(q0, kb.idx(offset)), kb.add(k0, kb.idx(BN - 1))));
          if (p.window > 0)
            // Keys the last query no longer sees: k0 <= q0 + BM - 1 + offset - W.
            needMask = arith::OrIOp::create(
                b, loc, needMask,
                kb.le(k0, kb.add(q0, kb.idx(BM - 1 + offset - p.window))));
        }
        SmallVector<Type> sTypes(nS * 4, b.getF32Type());
        auto masked = scf::IfOp::create(b, loc, sTypes, needMask,
                                        /*withElseRegion=*/true);
        {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(masked.thenBlock());
          SmallVector<Value> vals;
          for (int64_t j = 0; j < nS; ++j)
            for (int64_t e = 0; e < 4; ++e) {
              Value key = kb.add(k0, kb.add(colBase, kb.idx(8 * j + e % 2)));
              Value vis = kb.lt(key, kb.idx(p.Tk));
              if (p.causal) {
                Value qpos = kb.add(rows[e / 2], kb.idx(offset));
                vis = kb.andI1(vis, kb.le(key, qpos));
                if (p.window > 0)
                  vis = kb.andI1(
                      vis, kb.lt(kb.sub(qpos, kb.idx(p.window)), key));
              }
              vals.push_back(kb.select(
                  vis, kb.fmul(s[j][e], kb.f32(scaleLog2)), kb.f32(negInf)));
            }
          scf::YieldOp::create(b, loc, vals);
          b.setInsertionPointToStart(masked.elseBlock());
          vals.clear();
          for (int64_t j = 0; j < nS; ++j)
            for (int64_t e = 0; e < 4; ++e)
              vals.push_back(kb.fmul(s[j][e], kb.f32(scaleLog2)));
          scf::YieldOp::create(b, loc, vals);
        }
        Value rowMax[2] = {kb.f32(negInf), kb.f32(negInf)};
        for (int64_t j = 0; j < nS; ++j)
          for (int64_t e = 0; e < 4; ++e) {
            s[j][e] = masked.getResult(4 * j + e);
            rowMax[e / 2] = kb.fmax(rowMax[e / 2], s[j][e]);
          }
        Value ref[2], alpha[2], mNew[2];
        for (int r = 0; r < 2; ++r) {
          mNew[r] = kb.fmax(mOld[r], quadReduce(kb, rowMax[r], true));
          // A row that has seen no key keeps m = -inf: use 0 as the
          // reference then (all its p are 0), never -inf - -inf.
          Value empty = arith::CmpFOp::create(
              b, loc, arith::CmpFPredicate::OEQ, mNew[r], kb.f32(negInf));
          ref[r] = kb.select(empty, kb.f32(0), mNew[r]);
          alpha[r] = kb.fexp2(kb.fsub(mOld[r], ref[r]));
        }

        // P = exp2(S - ref), the lane's partial row sums, and P as bf16
        // A fragments (k16 step kk covers n8 tiles 2kk and 2kk + 1).
        Value lNew[2] = {kb.fmul(lOld[0], alpha[0]),
                         kb.fmul(lOld[1], alpha[1])};
        for (int64_t j = 0; j < nS; ++j)
          for (int64_t e = 0; e < 4; ++e) {
            s[j][e] = kb.fexp2(kb.fsub(s[j][e], ref[e / 2]));
            lNew[e / 2] = kb.fadd(lNew[e / 2], s[j][e]);
          }

        SmallVector<Value> next;
        for (int64_t t = 0; t < nO; ++t)
          for (int64_t e = 0; e < 4; ++e)
            next.push_back(kb.fmul(carried[4 * t + e], alpha[e / 2]));
        for (int64_t kk = 0; kk < BN / 16; ++kk) {
          SmallVector<Value> a = accumulatorsAsA(kb, s[2 * kk], s[2 * kk + 1]);
          for (int64_t t = 0; t < nO; t += 2) {
            auto [b0, b1] = loadB2(kb, {vs}, kb.idx(16 * kk), kb.idx(8 * t));
            for (int64_t u = 0; u < 2; ++u) {
              SmallVector<Value> c(next.begin() + 4 * (t + u),
                                   next.begin() + 4 * (t + u) + 4);
              auto d = mma(kb, a, u == 0 ? b0 : b1, c);
              std::copy(d.begin(), d.end(), next.begin() + 4 * (t + u));
            }
          }
        }
        next.append({mNew[0], mNew[1], lNew[0], lNew[1]});
        scf::YieldOp::create(b, loc, next);
      });

  // o = O / l (l summed over the row's 4 lanes); a query that saw no key
  // gets 0.
  Value o = args.lookup("o");
  Type outTy = cast<MemRefType>(o.getType()).getElementType();
  Value inv[2];
  for (int r = 0; r < 2; ++r) {
    Value l = quadReduce(kb, loop.getResult(nO * 4 + 2 + r), false);
    Value pos = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, l,
                                      kb.f32(0));
    inv[r] = kb.select(pos, kb.fdiv(kb.f32(1), l), kb.f32(0));
  }
  for (int r = 0; r < 2; ++r)
    kb.ifThen(kb.lt(rows[r], kb.idx(p.Tq)), [&] {
      for (int64_t t = 0; t < nO; ++t)
        for (int64_t e = 2 * r; e < 2 * r + 2; ++e) {
          Value x = kb.fmul(loop.getResult(4 * t + e), inv[r]);
          Value col = kb.add(colBase, kb.idx(8 * t + e % 2));
          kb.store(kb.fromF32(x, outTy), o, {bIdx, rows[r], hIdx, col});
        }
    });
}
