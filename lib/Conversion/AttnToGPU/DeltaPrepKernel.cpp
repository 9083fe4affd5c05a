//===- DeltaPrepKernel.cpp - the delta rule's UT-transform kernel ---------===//
//
// The delta rule's first kernel, parallel over (chunk, batch * head): per
// chunk, with b the in-chunk cumulative log-decay (0 without a gate),
//
//   T = (I + L)^-1,   L = StrictTril(diag(beta) K K^T (.) D),
//   D_ij = e^(b_i - b_j),
//
// by forward substitution, written out as T diag(beta) and T diag(beta e^b)
// (bf16) for the fused chunkwise kernel (LinearFusedKernel.cpp), which only
// applies them. For the split form (GpuProblem::splitsState, the state pass
// in LinearSplitKernels.cpp) it applies them itself and writes
//
//   W = T diag(beta e^b) K,   U = T diag(beta) V,
//
// and, where the state pass cannot read them from k, the keys of the state
// update diag(e^(b_C - b)) K; the state pass then does no triangular work.
//
//===----------------------------------------------------------------------===//
#include "LinearFamily.h"
#include "TileMma.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::gpu_codegen;

namespace {

class DeltaPrepEmitter : public LinearFamilyEmitter {
public:
  DeltaPrepEmitter(KernelBuilder &kb, const GpuProblem &p,
                   const KernelArgs &args)
      : LinearFamilyEmitter(kb, p, args) {}

  void emit();

private:
  // K K^T (then L), T, and the chunk's betas.
  SmemTile af, tf, betas;
  // Split form: T diag(beta), T diag(beta e^b), W and U.
  SmemTile tbv, tbk, wt, ut;
};

void DeltaPrepEmitter::emit() {
  // One block per (chunk, batch * head): T = (I + L)^-1 with
  // L = StrictTril(diag(beta) K K^T (.) D), written as T diag(beta) and
  // T diag(beta e^b) in bf16 for the sequential kernel. Every chunk is
  // independent, so this part of the work fills the GPU whatever B * H is.
  OpBuilder &b = kb.b();
  Location loc = kb.loc();
  bf16 = b.getBF16Type();
  Type f32 = b.getF32Type();
  Value cx = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  bindBatchHead(gpu::BlockIdOp::create(b, loc, gpu::Dimension::y));
  Value zero = kb.idx(0);
  Value t0 = kb.mul(cx, kb.idx(C));

  bool split = p.splitsState();
  ks = kb.allocTile(C, p.Dk, bf16);
  gcum = kb.allocTile(C, 1, f32);
  betas = kb.allocTile(C, 1, f32);
  if (split) {
    vs = kb.allocTile(C, p.Dv, bf16);
    tbv = kb.allocTile(C, C, bf16);
    tbk = kb.allocTile(C, C, bf16);
    loadRowsToTile(kb, vs, args.lookup("v"), bIdx, t0, hkv, zero, p.Tq);
  }
  // W and U reuse L's and T's space once the solve is done.
  int64_t solveTiles = kb.sharedMark();
  af = kb.allocTile(C, C, f32);
  tf = kb.allocTile(C, C, f32);

  loadRowsToTile(kb, ks, args.lookup("k"), bIdx, t0, hkv, zero, p.Tq,
                 [&](Value x) { return featureMap(kb, x, p.featureMap); });
  if (p.gate != GateKind::None)
    cumulativeGate(t0);
  loadRowScalarsToTile(kb, betas, args.lookup("beta"), bIdx, t0, hIdx, p.Tq);
  kb.barrier();

  emitTileMma(kb, af, {ks}, {ks, /*transposed=*/true}, {C, C, p.Dk});
  kb.barrier();
  kb.forEachElement(C, C, [&](Value i, Value j) {
    Value l = kb.fmul(kb.fmul(kb.load(af.mem, {i, j}),
                              kb.load(betas.mem, {i, zero})),
                      decayBetween(i, j));
    kb.store(kb.select(kb.lt(j, i), l, kb.f32(0.0)), af.mem, {i, j});
  });
  kb.barrier();

  // Forward substitution; thread c owns column c of T (no barrier between
  // rows), and scales it by beta_c and beta_c e^(b_c) on the way out.
  Value tv = args.lookup("t_beta"), tk = args.lookup("t_beta_decay");
  Value bh = kb.add(kb.mul(bIdx, kb.idx(p.Hq)), hIdx);
  kb.forRange(kb.threadId(), kb.idx(C), kThreads, [&](Value c) {
    Value betaC = kb.load(betas.mem, {c, zero});
    Value decayC = p.gate == GateKind::Scalar
                       ? kb.fmul(betaC, kb.fexp(gateAt(c)))
                       : betaC;
    kb.forRange(zero, kb.idx(C), 1, [&](Value i) {
      auto sum = scf::ForOp::create(
          b, loc, c, i, kb.idx(1), ValueRange{kb.f32(0.0)},
          [&](OpBuilder &, Location, Value j, ValueRange acc) {
            Value term = kb.fmul(kb.load(af.mem, {i, j}),
                                 kb.load(tf.mem, {j, c}));
            scf::YieldOp::create(b, loc, kb.fadd(acc[0], term));
          });
      Value diag =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, i, c);
      Value x = kb.select(diag, kb.f32(1.0),
                          kb.fsub(kb.f32(0.0), sum.getResult(0)));
      x = kb.select(kb.lt(i, c), kb.f32(0.0), x);
      kb.store(x, tf.mem, {i, c});
      Value xv = kb.fromF32(kb.fmul(x, betaC), bf16);
      Value xk = kb.fromF32(kb.fmul(x, decayC), bf16);
      if (split) {
        kb.store(xv, tbv.mem, {i, c});
        kb.store(xk, tbk.mem, {i, c});
        return;
      }
      Value row = kb.add(t0, i);
      kb.store(xv, tv, {bh, row, zero, c});
      kb.store(xk, tk, {bh, row, zero, c});
    });
  });
  if (!split)
    return;

  // W and U (rows past T are zero: beta is, so T's row is the unit row).
  kb.barrier();
  kb.releaseShared(solveTiles);
  wt = kb.allocTile(C, p.Dk, bf16);
  ut = kb.allocTile(C, p.Dv, bf16);
  emitTileMma(kb, wt, {tbk}, {ks}, {C, p.Dk, C});
  emitTileMma(kb, ut, {tbv}, {vs}, {C, p.Dv, C});
  kb.barrier();
  int64_t rows = p.numChunks() * C;
  storeRowsFromTile(kb, wt, args.lookup("w"), bh, t0, zero, zero, rows);
  storeRowsFromTile(kb, ut, args.lookup("u"), bh, t0, zero, zero, rows);
  if (Value kUpdate = args.lookup("k_update")) {
    Value last = kb.idx(C - 1);
    storeRowsFromTile(kb, ks, kUpdate, bh, t0, zero, zero, rows,
                      [&](Value x, Value i) {
                        return kb.fmul(x, decayBetween(last, i));
                      });
  }
}

} // namespace

void mlir::attn::gpu_codegen::emitDeltaPrepKernel(KernelBuilder &kb,
                                                  const GpuProblem &p,
                                                  const KernelArgs &args) {
  DeltaPrepEmitter(kb, p, args).emit();
}
