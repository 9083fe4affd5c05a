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
// applies them.
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

  ks = kb.allocTile(C, p.Dk, bf16);
  af = kb.allocTile(C, C, f32);
  tf = kb.allocTile(C, C, f32);
  gcum = kb.allocTile(C, 1, f32);
  betas = kb.allocTile(C, 1, f32);

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
      Value row = kb.add(t0, i);
      kb.store(kb.fromF32(kb.fmul(x, betaC), bf16), tv, {bh, row, zero, c});
      kb.store(kb.fromF32(kb.fmul(x, decayC), bf16), tk, {bh, row, zero, c});
    });
  });
}

} // namespace

void mlir::attn::gpu_codegen::emitDeltaPrepKernel(KernelBuilder &kb,
                                                  const GpuProblem &p,
                                                  const KernelArgs &args) {
  DeltaPrepEmitter(kb, p, args).emit();
}
