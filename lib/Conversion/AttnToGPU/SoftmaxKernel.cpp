//===- SoftmaxKernel.cpp - FlashAttention-2 style GPU kernel --------------===//
//
// One thread block owns (query block of BM rows, batch b, head h). It walks
// the key blocks that any of its queries can see (causal and sliding-window
// blocks outside that range are skipped): S = Q K^T on the tensor cores, an
// online softmax per row (running max m and sum l, in f32), O = diag(alpha) O
// + P V on the tensor cores, and o = O / l at the end. Query t sits at key
// position t + (Tk - Tq) (decode: the last Tq positions of the cache).
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"
#include "TileMma.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::gpu_codegen;

void mlir::attn::gpu_codegen::emitSoftmaxKernel(KernelBuilder &kb,
                                                const GpuProblem &p,
                                                const KernelArgs &args) {
  OpBuilder &b = kb.b();
  Location loc = kb.loc();
  const int64_t BM = p.chunk, BN = p.chunk;
  Type bf16 = b.getBF16Type(), f32 = b.getF32Type();
  Value zero = kb.idx(0);
  const double negInf = -std::numeric_limits<double>::infinity();

  Value bx = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  Value by = gpu::BlockIdOp::create(b, loc, gpu::Dimension::y);
  Value bIdx = kb.div(by, kb.idx(p.Hq));
  Value hIdx = kb.rem(by, kb.idx(p.Hq));
  Value hkv = kb.div(hIdx, kb.idx(p.Hq / p.Hkv));
  Value q0 = kb.mul(bx, kb.idx(BM));
  const int64_t offset = p.Tk - p.Tq;

  SmemTile qs = kb.allocTile(BM, p.Dk, bf16);
  SmemTile ks = kb.allocTile(BN, p.Dk, bf16);
  SmemTile vs = kb.allocTile(BN, p.Dv, bf16);
  SmemTile sf = kb.allocTile(BM, BN, f32);
  SmemTile pb = kb.allocTile(BM, BN, bf16);
  SmemTile of = kb.allocTile(BM, p.Dv, f32);
  SmemTile ml = kb.allocTile(BM, 2, f32); // running max (log2 units), sum

  loadRowsToTile(kb, qs, args.lookup("q"), bIdx, q0, hIdx, zero, p.Tq);
  kb.forEachElement(BM, p.Dv,
                    [&](Value i, Value j) { kb.store(kb.f32(0), of.mem, {i, j}); });
  kb.forEachRow(BM, [&](Value i) {
    kb.store(kb.f32(negInf), ml.mem, {i, zero});
    kb.store(kb.f32(0), ml.mem, {i, kb.idx(1)});
  });

  // Key blocks [first, end) that some query of this block sees.
  int64_t keyBlocks = (p.Tk + BN - 1) / BN;
  Value end = kb.idx(keyBlocks), first = zero;
  if (p.causal) {
    // Last visible key of the last query: q0 + BM - 1 + offset.
    Value lastKey = kb.add(q0, kb.idx(BM - 1 + offset));
    Value e = kb.div(kb.add(lastKey, kb.idx(BN)), kb.idx(BN));
    end = kb.minIdx(e, end);
    if (p.window > 0) {
      // First visible key of the first query: q0 + offset - W + 1 (>= 0).
      Value firstKey = arith::MaxSIOp::create(
          b, loc, kb.add(q0, kb.idx(offset - p.window + 1)), zero);
      first = kb.div(firstKey, kb.idx(BN));
    }
  }
  kb.barrier();

  const double scaleLog2 = p.scale * M_LOG2E;
  kb.forRange(first, end, 1, [&](Value kbIdx) {
    Value k0 = kb.mul(kbIdx, kb.idx(BN));
    loadRowsToTile(kb, ks, args.lookup("k"), bIdx, k0, hkv, zero, p.Tk);
    loadRowsToTile(kb, vs, args.lookup("v"), bIdx, k0, hkv, zero, p.Tk);
    kb.barrier();
    emitTileMma(kb, sf, {qs}, {ks, /*transposed=*/true}, {BM, BN, p.Dk});
    kb.barrier();

    // Online softmax, one thread a row.
    kb.forEachRow(BM, [&](Value i) {
      Value qpos = kb.add(kb.add(q0, i), kb.idx(offset));
      auto visible = [&](Value j) {
        Value key = kb.add(k0, j);
        Value vis = kb.lt(key, kb.idx(p.Tk));
        if (p.causal) {
          vis = kb.andI1(vis, kb.le(key, qpos));
          if (p.window > 0)
            vis = kb.andI1(
                vis, kb.lt(kb.sub(qpos, kb.idx(p.window)), key));
        }
        return vis;
      };
      auto scoreAt = [&](Value j) {
        return kb.fmul(kb.load(sf.mem, {i, j}), kb.f32(scaleLog2));
      };
      auto maxLoop = scf::ForOp::create(
          b, loc, zero, kb.idx(BN), kb.idx(1), ValueRange{kb.f32(negInf)},
          [&](OpBuilder &, Location, Value j, ValueRange acc) {
            Value s = kb.select(visible(j), scoreAt(j), kb.f32(negInf));
            scf::YieldOp::create(b, loc, kb.fmax(acc[0], s));
          });
      Value mOld = kb.load(ml.mem, {i, zero});
      Value mNew = kb.fmax(mOld, maxLoop.getResult(0));
      // While a row has seen no key, m stays -inf: use 0 as the reference so
      // that no -inf - -inf appears (every p is 0 then anyway).
      Value empty = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                          mNew, kb.f32(negInf));
      Value ref = kb.select(empty, kb.f32(0), mNew);
      auto exp2 = [&](Value x) { return kb.fexp2(x); };
      Value alpha = exp2(kb.fsub(mOld, ref)); // 0 when mOld = -inf
      auto sumLoop = scf::ForOp::create(
          b, loc, zero, kb.idx(BN), kb.idx(1), ValueRange{kb.f32(0)},
          [&](OpBuilder &, Location, Value j, ValueRange acc) {
            Value pj = kb.select(visible(j), exp2(kb.fsub(scoreAt(j), ref)),
                                 kb.f32(0));
            kb.store(kb.fromF32(pj, bf16), pb.mem, {i, j});
            scf::YieldOp::create(b, loc, kb.fadd(acc[0], pj));
          });
      Value l = kb.fadd(kb.fmul(kb.load(ml.mem, {i, kb.idx(1)}), alpha),
                        sumLoop.getResult(0));
      kb.store(mNew, ml.mem, {i, zero});
      kb.store(l, ml.mem, {i, kb.idx(1)});
      kb.forRange(zero, kb.idx(p.Dv), 1, [&](Value j) {
        kb.store(kb.fmul(kb.load(of.mem, {i, j}), alpha), of.mem, {i, j});
      });
    });
    kb.barrier();
    emitTileMma(kb, of, {pb}, {vs}, {BM, p.Dv, BN}, {/*accumulate=*/true});
    kb.barrier();
  });

  // o = O / l; a query that saw no key gets 0.
  storeRowsFromTile(kb, of, args.lookup("o"), bIdx, q0, hIdx, zero, p.Tq,
                    [&](Value x, Value i) {
                      Value l = kb.load(ml.mem, {i, kb.idx(1)});
                      Value pos = arith::CmpFOp::create(
                          b, loc, arith::CmpFPredicate::OGT, l, kb.f32(0));
                      return kb.select(pos, kb.fdiv(x, l), kb.f32(0));
                    });
}
