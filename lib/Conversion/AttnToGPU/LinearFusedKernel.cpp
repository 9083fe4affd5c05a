//===- LinearFusedKernel.cpp - the fused chunkwise linear-family kernel ---===//
//
// One thread block owns (batch b, head h, Dv columns v0..v0+BV) and walks the
// chunks of C steps in order; its slice of the state S [Dk, BV] stays in
// shared memory (f32, with a bf16 copy the tensor cores read). Per chunk,
// with b_i the in-chunk cumulative log-decay (0 without a gate):
//
//   linear / gated:   o = diag(e^b) Q S + (Q K^T (.) D) V,   D_ij = e^(b_i-b_j) [j<=i]
//                     S = e^(b_C) S + (diag(e^(b_C-b)) K)^T V
//   delta rule:       T = (I + StrictTril(diag(beta) K K^T (.) D))^-1
//                     U = T diag(beta) V - T diag(beta e^b) (K S)
//                     (T diag(beta) and T diag(beta e^b) come from a first
//                     kernel, parallel over chunks: see emitDeltaPrepKernel)
//                     o = diag(e^b) Q S + (Q K^T (.) D) U
//                     S = e^(b_C) S + (diag(e^(b_C-b)) K)^T U
//   vector gate (GLA): D becomes per-dimension, so Q K^T (.) D is summed
//                     elementwise and Q, K are scaled per element.
//
// Every exponent is <= 0 except none: b is non-increasing in i. Rows past T
// are zero (q, k, v and g), which leaves both o and S exact.
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

class FusedChunkEmitter : public LinearFamilyEmitter {
public:
  FusedChunkEmitter(KernelBuilder &kb, const GpuProblem &p,
                    const KernelArgs &args)
      : LinearFamilyEmitter(kb, p, args) {}

  void emit();

private:
  void allocate();
  void initState();
  void loadChunk(Value t0);
  void maskScores(SmemTile scores);
  void decayOutputRows();
  void decayForStateUpdate();
  void accumulateChunk();
  void linearChunk(Value t0);
  void deltaChunk(Value t0);
  void vectorGateScores();
  void storeOutput(Value t0);

  // The state (f32 and its bf16 copy), the scores (f32 and the masked bf16
  // ones), the output.
  SmemTile sf, sb, af, ab, of;
  // Delta rule only: Q K^T, T diag(beta) and T diag(beta e^b) (from the
  // prep kernel), U (f32; K S before it), -K S in bf16.
  SmemTile qk, tbv, tbk, uf, xneg;
};

void FusedChunkEmitter::allocate() {
  bf16 = kb.b().getBF16Type();
  Type f32 = kb.b().getF32Type();
  qs = kb.allocTile(C, p.Dk, bf16);
  ks = kb.allocTile(C, p.Dk, bf16);
  vs = kb.allocTile(C, BV, bf16);
  sf = kb.allocTile(p.Dk, BV, f32);
  sb = kb.allocTile(p.Dk, BV, bf16);
  ab = kb.allocTile(C, C, bf16);
  of = kb.allocTile(C, BV, f32);
  if (p.gate == GateKind::Vector)
    gcum = kb.allocTile(C, p.Dk, f32);
  else
    gcum = kb.allocTile(C, 1, f32);
  if (p.gate != GateKind::Vector && !p.delta)
    af = kb.allocTile(C, C, f32);
  if (p.delta) {
    qk = kb.allocTile(C, C, f32);
    tbv = kb.allocTile(C, C, bf16);
    tbk = kb.allocTile(C, C, bf16);
    uf = kb.allocTile(C, BV, f32);
    xneg = kb.allocTile(C, BV, bf16);
  }
}

void FusedChunkEmitter::initState() {
  Value s0 = args.lookup("initial_state");
  kb.forEachElement(p.Dk, BV, [&](Value i, Value j) {
    Value x = s0 ? kb.toF32(kb.load(s0, {bIdx, hIdx, i, kb.add(v0, j)}))
                 : kb.f32(0.0);
    kb.store(x, sf.mem, {i, j});
    kb.store(kb.fromF32(x, bf16), sb.mem, {i, j});
  });
}

void FusedChunkEmitter::loadChunk(Value t0) {
  Value zero = kb.idx(0);
  loadQKV(t0);

  if (p.gate != GateKind::None)
    cumulativeGate(t0);

  if (p.delta) {
    // This chunk's T diag(beta) and T diag(beta e^b), [B*H, N*C, 1, C].
    Value bh = kb.add(kb.mul(bIdx, kb.idx(p.Hq)), hIdx);
    int64_t rows = ((p.Tq + C - 1) / C) * C;
    loadRowsToTile(kb, tbv, args.lookup("t_beta"), bh, t0, zero, zero, rows);
    loadRowsToTile(kb, tbk, args.lookup("t_beta_decay"), bh, t0, zero, zero,
                   rows);
  }
  kb.barrier();
}

void FusedChunkEmitter::vectorGateScores() {
  // A_ij = sum_d q_id k_jd e^(b_id - b_jd) for j <= i, straight from the
  // tiles (the exponents stay <= 0 for every pair).
  kb.forEachElement(C, C, [&](Value i, Value j) {
    auto dot = scf::ForOp::create(
        kb.b(), kb.loc(), kb.idx(0), kb.idx(p.Dk), kb.idx(1),
        ValueRange{kb.f32(0.0)},
        [&](OpBuilder &, Location, Value d, ValueRange acc) {
          Value qv = kb.toF32(kb.load(qs.mem, {i, d}));
          Value kv = kb.toF32(kb.load(ks.mem, {j, d}));
          Value decay = kb.fexp(kb.fsub(kb.load(gcum.mem, {i, d}),
                                        kb.load(gcum.mem, {j, d})));
          Value term = kb.fmul(kb.fmul(qv, kv), decay);
          scf::YieldOp::create(kb.b(), kb.loc(), kb.fadd(acc[0], term));
        });
    Value x = kb.select(kb.le(j, i), dot.getResult(0), kb.f32(0.0));
    kb.store(kb.fromF32(x, bf16), ab.mem, {i, j});
  });
}

void FusedChunkEmitter::linearChunk(Value t0) {
  bool vec = p.gate == GateKind::Vector;
  Value last = kb.idx(C - 1);
  if (vec) {
    vectorGateScores();
    kb.barrier();
    // Q e^(b), K e^(b_C - b) and S e^(b_C), per element.
    kb.forEachElement(C, p.Dk, [&](Value i, Value d) {
      Value bi = kb.load(gcum.mem, {i, d});
      Value bc = kb.load(gcum.mem, {last, d});
      Value q = kb.toF32(kb.load(qs.mem, {i, d}));
      Value k = kb.toF32(kb.load(ks.mem, {i, d}));
      kb.store(kb.fromF32(kb.fmul(q, kb.fexp(bi)), bf16), qs.mem, {i, d});
      kb.store(kb.fromF32(kb.fmul(k, kb.fexp(kb.fsub(bc, bi))), bf16), ks.mem,
               {i, d});
    });
    kb.forEachElement(p.Dk, BV, [&](Value d, Value j) {
      Value decay = kb.fexp(kb.load(gcum.mem, {last, d}));
      kb.store(kb.fmul(kb.load(sf.mem, {d, j}), decay), sf.mem, {d, j});
    });
    kb.barrier();
    emitTileMma(kb, of, {qs}, {sb}, {C, BV, p.Dk});
  } else {
    emitTileMma(kb, af, {qs}, {ks, /*transposed=*/true}, {C, C, p.Dk});
    emitTileMma(kb, of, {qs}, {sb}, {C, BV, p.Dk});
    kb.barrier();
    maskScores(af);
    if (p.gate == GateKind::Scalar) {
      decayOutputRows();
      decayForStateUpdate();
    }
    kb.barrier();
  }
  accumulateChunk();
}

void FusedChunkEmitter::maskScores(SmemTile scores) {
  // ab = (scores (.) D) in bf16, D_ij = e^(b_i - b_j) for j <= i, else 0.
  kb.forEachElement(C, C, [&](Value i, Value j) {
    Value x = kb.fmul(kb.load(scores.mem, {i, j}), decayBetween(i, j));
    x = kb.select(kb.le(j, i), x, kb.f32(0.0));
    kb.store(kb.fromF32(x, bf16), ab.mem, {i, j});
  });
}

void FusedChunkEmitter::decayOutputRows() {
  // o's inter-chunk part Q S decays by e^(b_i) in row i.
  kb.forEachElement(C, BV, [&](Value i, Value j) {
    Value x = kb.fmul(kb.load(of.mem, {i, j}), kb.fexp(gateAt(i)));
    kb.store(x, of.mem, {i, j});
  });
}

void FusedChunkEmitter::decayForStateUpdate() {
  // K's rows by e^(b_C - b_i) and the state by e^(b_C), for
  // S = e^(b_C) S + (diag(e^(b_C - b)) K)^T V.
  Value last = kb.idx(C - 1);
  kb.forEachElement(C, p.Dk, [&](Value i, Value d) {
    Value k = kb.fmul(kb.toF32(kb.load(ks.mem, {i, d})),
                      decayBetween(last, i));
    kb.store(kb.fromF32(k, bf16), ks.mem, {i, d});
  });
  kb.forEachElement(p.Dk, BV, [&](Value d, Value j) {
    Value x = kb.fmul(kb.load(sf.mem, {d, j}), kb.fexp(gateAt(last)));
    kb.store(x, sf.mem, {d, j});
  });
}

void FusedChunkEmitter::accumulateChunk() {
  // o += (masked scores) V' and S += K'^T V' (V' = V, or U for the delta
  // rule); both only read their operands, so they share one phase.
  emitTileMma(kb, of, {ab}, {vs}, {C, BV, C}, {/*accumulate=*/true});
  emitTileMma(kb, sf, {ks, /*transposed=*/true}, {vs}, {p.Dk, BV, C},
              {/*accumulate=*/true});
  kb.barrier();
}

void FusedChunkEmitter::deltaChunk(Value t0) {
  // Q K^T, Q S and K S (into U's tile, which is free until U).
  emitTileMma(kb, qk, {qs}, {ks, /*transposed=*/true}, {C, C, p.Dk});
  emitTileMma(kb, of, {qs}, {sb}, {C, BV, p.Dk});
  emitTileMma(kb, uf, {ks}, {sb}, {C, BV, p.Dk});
  kb.barrier();

  // The masked, decayed Q K^T; -K S in bf16; o's inter-chunk part e^b Q S.
  maskScores(qk);
  kb.forEachElement(C, BV, [&](Value i, Value j) {
    Value x = arith::NegFOp::create(kb.b(), kb.loc(),
                                    kb.load(uf.mem, {i, j}));
    kb.store(kb.fromF32(x, bf16), xneg.mem, {i, j});
  });
  if (p.gate == GateKind::Scalar)
    decayOutputRows();
  kb.barrier();

  // U = T diag(beta) V - T diag(beta e^b) (K S): the same C x BV tiles for
  // both products, so each warp accumulates its own tiles (no barrier).
  emitTileMma(kb, uf, {tbv}, {vs}, {C, BV, C});
  emitTileMma(kb, uf, {tbk}, {xneg}, {C, BV, C}, {/*accumulate=*/true});
  kb.barrier();

  convertTile(kb, uf, vs);
  if (p.gate == GateKind::Scalar)
    decayForStateUpdate();
  kb.barrier();
  accumulateChunk();
}

void FusedChunkEmitter::storeOutput(Value t0) {
  storeRowsFromTile(kb, of, args.lookup("o"), bIdx, t0, hIdx, v0, p.Tq);
  convertTile(kb, sf, sb);
  kb.barrier();
}

void FusedChunkEmitter::emit() {
  bindBlock();
  allocate();
  initState();
  kb.barrier();
  int64_t chunks = (p.Tq + C - 1) / C;
  kb.forRange(kb.idx(0), kb.idx(chunks), 1, [&](Value c) {
    Value t0 = kb.mul(c, kb.idx(C));
    loadChunk(t0);
    if (p.delta)
      deltaChunk(t0);
    else
      linearChunk(t0);
    storeOutput(t0);
  });

  if (Value st = args.lookup("final_state"))
    kb.forEachElement(p.Dk, BV, [&](Value i, Value j) {
      kb.store(kb.load(sf.mem, {i, j}), st, {bIdx, hIdx, i, kb.add(v0, j)});
    });
}

} // namespace

void mlir::attn::gpu_codegen::emitLinearFamilyKernel(KernelBuilder &kb,
                                                     const GpuProblem &p,
                                                     const KernelArgs &args) {
  FusedChunkEmitter(kb, p, args).emit();
}
