//===- DeltaPrepKernel.cpp - the delta rule's UT-transform kernel ---------===//
//
// The delta rule's first kernel, parallel over (chunk, batch * head): per
// chunk, with b the in-chunk cumulative log-decay (0 without a gate),
//
//   T = (I + L)^-1,   L = StrictTril(diag(beta) K K^T (.) D),
//   D_ij = e^(b_i - b_j),
//
// by forward substitution in 16-row blocks (invertUnitLowerTriangular),
// written out as T diag(beta) and T diag(beta e^b) (bf16) for the fused
// chunkwise kernel (LinearFusedKernel.cpp), which only applies them. For
// the split form (GpuProblem::splitsState, the state pass in
// LinearSplitKernels.cpp) it applies them itself and writes
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
  /// tf = (I + L)^-1 for the strictly lower triangular L in af, in f32,
  /// by blocks of kSolveBlock rows; ends with a barrier. Leaves tf's blocks
  /// above the diagonal unwritten.
  void invertUnitLowerTriangular();

  static constexpr int64_t kSolveBlock = 16;
  // K K^T (then L), T, the chunk's betas, and the solve's block products.
  SmemTile af, tf, betas, blockProducts;
  // With a gate: beta_i e^(b_i) and e^(b_C - b_i).
  SmemTile betaDecay, keyDecay;
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
  if (p.gate == GateKind::Scalar) {
    betaDecay = kb.allocTile(C, 1, f32);
    // The decayed keys are written here only where the state pass cannot
    // copy the keys as they are (GpuProblem::deltaKeysScratch).
    if (args.lookup("k_update"))
      keyDecay = kb.allocTile(C, 1, f32);
  }
  if (split) {
    vs = kb.allocTile(C, p.Dv, bf16);
    tbv = kb.allocTile(C, C, bf16);
    tbk = kb.allocTile(C, C, bf16);
  }
  // W and U reuse L's and T's space once the solve is done.
  int64_t solveTiles = kb.sharedMark();
  af = kb.allocTile(C, C, f32);
  tf = kb.allocTile(C, C, f32);
  blockProducts = kb.allocTile(kSolveBlock, C, f32);

  // K and V by cp.async (one round trip for both, where they are bf16),
  // the gates and betas meanwhile.
  SmallVector<Value> copies = fetchRowsToTile(kb, ks, zero, C, args.lookup("k"),
                                              bIdx, t0, hkv, zero, p.Tq);
  if (split)
    copies.append(fetchRowsToTile(kb, vs, zero, C, args.lookup("v"), bIdx, t0,
                                  hkv, zero, p.Tq));
  Value group = copies.empty() ? Value() : commitAsyncCopies(kb, copies);
  if (p.gate != GateKind::None)
    cumulativeGate(t0);
  loadRowScalarsToTile(kb, betas, args.lookup("beta"), bIdx, t0, hIdx, p.Tq);
  if (group)
    waitAsyncCopies(kb, group);
  kb.barrier();
  // Per-row factors with the gate, an exp a row (read after later
  // barriers): beta_c e^(b_c), T's column scale, and (for k_update)
  // e^(b_C - b_i), the state update's key decay.
  if (p.gate == GateKind::Scalar) {
    kb.forEachRow(C, [&](Value i) {
      kb.store(kb.fmul(kb.load(betas.mem, {i, zero}), kb.fexp(gateAt(i))),
               betaDecay.mem, {i, zero});
      if (keyDecay.mem)
        kb.store(decayBetween(kb.idx(C - 1), i), keyDecay.mem, {i, zero});
    });
  }
  if (p.featureMap != FeatureMap::Identity) {
    mapTileInPlace(kb, ks,
                   [&](Value x) { return featureMap(kb, x, p.featureMap); });
    kb.barrier();
  }

  emitTileMma(kb, af, {ks}, {ks, /*transposed=*/true}, {C, C, p.Dk});
  kb.barrier();
  kb.forEachElement(C, C, [&](Value i, Value j) {
    Value l = kb.fmul(kb.fmul(kb.load(af.mem, {i, j}),
                              kb.load(betas.mem, {i, zero})),
                      decayBetween(i, j));
    kb.store(kb.select(kb.lt(j, i), l, kb.f32(0.0)), af.mem, {i, j});
  });
  kb.barrier();

  invertUnitLowerTriangular();

  // T diag(beta) and T diag(beta e^b) out, an element a thread (consecutive
  // threads along a row: the fused form's global stores coalesce); T's
  // strict upper part is zero, and the solve leaves its off-diagonal blocks
  // unwritten.
  Value tv = args.lookup("t_beta"), tk = args.lookup("t_beta_decay");
  Value bh = kb.add(kb.mul(bIdx, kb.idx(p.Hq)), hIdx);
  kb.forEachElement(C, C, [&](Value i, Value c) {
    Value betaC = kb.load(betas.mem, {c, zero});
    Value decayC = betaDecay.mem ? kb.load(betaDecay.mem, {c, zero}) : betaC;
    Value x = kb.select(kb.lt(i, c), kb.f32(0.0), kb.load(tf.mem, {i, c}));
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
    storeRowsFromTile(kb, ks, kUpdate, bh, t0, zero, zero, rows,
                      [&](Value x, Value i) {
                        return keyDecay.mem
                                   ? kb.fmul(x, kb.load(keyDecay.mem, {i, zero}))
                                   : x;
                      });
  }
}

void DeltaPrepEmitter::invertUnitLowerTriangular() {
  // A forward substitution row by row is a chain of C dependent steps; by
  // 16-row blocks it is short and wide. The diagonal blocks first, T_II =
  // (I + L_II)^-1, a thread per column: thread (I, c) solves
  // (I + L_II) x = e_c with x in registers (x_i = 0 for i < c on its own).
  // Then block row by block row, for J < I,
  //   T_IJ = -T_II sum_{J <= K < I} L_IK T_KJ,
  // the sum into blockProducts, then the T_II product, each output element
  // a thread; every T_KJ read is below the diagonal or on it.
  const int64_t S = kSolveBlock, nb = C / S;
  assert(C % S == 0 && "chunks are 16, 32 or 64 rows");
  Value tid = kb.threadId();
  kb.ifThen(kb.lt(tid, kb.idx(nb * S)), [&] {
    Value r0 = kb.mul(kb.div(tid, kb.idx(S)), kb.idx(S));
    Value c = kb.rem(tid, kb.idx(S));
    SmallVector<Value> x;
    for (int64_t i = 0; i < S; ++i) {
      Value unit = arith::CmpIOp::create(kb.b(), kb.loc(),
                                         arith::CmpIPredicate::eq, c,
                                         kb.idx(i));
      Value xi = kb.select(unit, kb.f32(1.0), kb.f32(0.0));
      Value row = kb.add(r0, kb.idx(i));
      for (int64_t j = 0; j < i; ++j)
        xi = kb.fsub(xi, kb.fmul(kb.load(af.mem, {row, kb.add(r0, kb.idx(j))}),
                                 x[j]));
      x.push_back(xi);
    }
    for (int64_t i = 0; i < S; ++i)
      kb.store(x[i], tf.mem, {kb.add(r0, kb.idx(i)), kb.add(r0, c)});
  });
  kb.barrier();

  // Each S x S block of outputs spreads over the threads, S*S / threads
  // elements each (at S = 16 and 128 threads: 2).
  const int64_t threads = kb.threads();
  assert((S * S) % threads == 0 && "solve block spread evenly");
  auto forEachBlockElement = [&](function_ref<void(Value, Value)> body) {
    for (int64_t e = 0; e < S * S / threads; ++e) {
      Value flat = kb.add(tid, kb.idx(e * threads));
      body(kb.div(flat, kb.idx(S)), kb.rem(flat, kb.idx(S)));
    }
  };
  for (int64_t I = 1; I < nb; ++I) {
    Value rowI = kb.idx(I * S);
    for (int64_t J = 0; J < I; ++J)
      forEachBlockElement([&](Value r, Value c) {
        Value row = kb.add(rowI, r), col = kb.add(kb.idx(J * S), c);
        Value acc = kb.f32(0.0);
        for (int64_t k = J * S; k < I * S; ++k)
          acc = kb.ffma(kb.load(af.mem, {row, kb.idx(k)}),
                        kb.load(tf.mem, {kb.idx(k), col}), acc);
        kb.store(acc, blockProducts.mem, {r, col});
      });
    kb.barrier();
    for (int64_t J = 0; J < I; ++J)
      forEachBlockElement([&](Value r, Value c) {
        Value row = kb.add(rowI, r), col = kb.add(kb.idx(J * S), c);
        Value acc = kb.f32(0.0);
        for (int64_t m = 0; m < S; ++m)
          acc = kb.ffma(kb.load(tf.mem, {row, kb.add(rowI, kb.idx(m))}),
                        kb.load(blockProducts.mem, {kb.idx(m), col}), acc);
        kb.store(kb.fsub(kb.f32(0.0), acc), tf.mem, {row, col});
      });
    kb.barrier();
  }
}

} // namespace

void mlir::attn::gpu_codegen::emitDeltaPrepKernel(KernelBuilder &kb,
                                                  const GpuProblem &p,
                                                  const KernelArgs &args) {
  DeltaPrepEmitter(kb, p, args).emit();
}
