//===- LinearFamilyKernel.cpp - chunkwise linear-family GPU kernel --------===//
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
#include "Kernels.h"
#include "TileMma.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::gpu_codegen;

namespace {

/// phi(x) with the exponential on the fast path (elu+1).
Value featureMap(KernelBuilder &kb, Value x, FeatureMap fm) {
  switch (fm) {
  case FeatureMap::Identity:
    return x;
  case FeatureMap::Relu:
    return kb.fmax(x, kb.f32(0.0));
  case FeatureMap::EluPlusOne: {
    Value pos = arith::CmpFOp::create(kb.b(), kb.loc(),
                                      arith::CmpFPredicate::OGT, x, kb.f32(0));
    return kb.select(pos, kb.fadd(x, kb.f32(1.0)), kb.fexp(x));
  }
  case FeatureMap::Favor:
    // Needs the projection; GpuProblem::describe rejects it.
    break;
  }
  llvm_unreachable("feature map the GPU kernels do not take");
}

class LinearFamilyEmitter {
public:
  LinearFamilyEmitter(KernelBuilder &kb, const GpuProblem &p,
                      const KernelArgs &args)
      : kb(kb), p(p), args(args), C(p.chunk), BV(p.blockV) {}

  void emit();

private:
  void allocate();
  void initState();
  void loadChunk(Value t0);
  void cumulativeGate(Value t0);
  void maskScores(SmemTile scores);
  void decayOutputRows();
  void decayForStateUpdate();
  void accumulateChunk();
  void emitChunk(Value t0);
  void linearChunk(Value t0);
  void deltaChunk(Value t0);
  void vectorGateScores();
  void storeOutput(Value t0);

  /// e^(b_i - b_j) for the scalar gate (1 without one).
  Value decayBetween(Value i, Value j);
  Value gateAt(Value i) { return kb.load(gcum.mem, {i, kb.idx(0)}); }

  KernelBuilder &kb;
  const GpuProblem &p;
  const KernelArgs &args;
  int64_t C, BV;
  Value bIdx, hIdx, hkv, v0;
  Type bf16;

  SmemTile qs, ks, vs, sf, sb, af, ab, of, gcum;
  // Delta rule only: Q K^T, T diag(beta) and T diag(beta e^b) (from the
  // prep kernel), U (f32; K S before it), -K S in bf16.
  SmemTile qk, tbv, tbk, uf, xneg;
  // Prep kernel only.
  SmemTile tf, betas;

public:
  void emitPrep();
};

void LinearFamilyEmitter::allocate() {
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

void LinearFamilyEmitter::initState() {
  Value s0 = args.lookup("initial_state");
  kb.forEachElement(p.Dk, BV, [&](Value i, Value j) {
    Value x = s0 ? kb.toF32(kb.load(s0, {bIdx, hIdx, i, kb.add(v0, j)}))
                 : kb.f32(0.0);
    kb.store(x, sf.mem, {i, j});
    kb.store(kb.fromF32(x, bf16), sb.mem, {i, j});
  });
}

void LinearFamilyEmitter::loadChunk(Value t0) {
  Value zero = kb.idx(0);
  loadRowsToTile(kb, qs, args.lookup("q"), bIdx, t0, hIdx, zero, p.Tq,
                 [&](Value x) {
                   return kb.fmul(featureMap(kb, x, p.featureMap),
                                  kb.f32(p.scale));
                 });
  loadRowsToTile(kb, ks, args.lookup("k"), bIdx, t0, hkv, zero, p.Tq,
                 [&](Value x) { return featureMap(kb, x, p.featureMap); });
  loadRowsToTile(kb, vs, args.lookup("v"), bIdx, t0, hkv, v0, p.Tq);

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

void LinearFamilyEmitter::cumulativeGate(Value t0) {
  // The in-chunk cumulative log-decay b_i = sum_{s <= i} g_s (g = 0 past T).
  // The chunk's gates are loaded in parallel first: a scan that loaded as
  // it went would wait on global memory at every step.
  Value g = args.lookup("g");
  Value zero = kb.idx(0);
  if (p.gate == GateKind::Vector) {
    loadRowsToTile(kb, gcum, g, bIdx, t0, hIdx, zero, p.Tq);
    kb.barrier();
    // One thread a column walks down the chunk in shared memory.
    kb.forRange(kb.threadId(), kb.idx(p.Dk), kThreads, [&](Value d) {
      scf::ForOp::create(
          kb.b(), kb.loc(), kb.idx(1), kb.idx(C), kb.idx(1),
          ValueRange{kb.load(gcum.mem, {zero, d})},
          [&](OpBuilder &, Location, Value i, ValueRange acc) {
            Value sum = kb.fadd(acc[0], kb.load(gcum.mem, {i, d}));
            kb.store(sum, gcum.mem, {i, d});
            scf::YieldOp::create(kb.b(), kb.loc(), sum);
          });
    });
    return;
  }
  loadRowScalarsToTile(kb, gcum, g, bIdx, t0, hIdx, p.Tq);
  kb.barrier();
  // Warp 0 scans: lane l owns k consecutive gates, sums them, and a shuffle
  // scan over the lanes' totals gives each lane its offset.
  int64_t k = std::max<int64_t>(C / 32, 1);
  Value lane = kb.laneId();
  kb.ifThen(arith::CmpIOp::create(kb.b(), kb.loc(), arith::CmpIPredicate::eq,
                                  kb.warpId(), zero),
            [&] {
              Value first = kb.mul(lane, kb.idx(k));
              Value active = kb.lt(first, kb.idx(C));
              SmallVector<Value> local;
              Value total = kb.f32(0.0);
              for (int64_t e = 0; e < k; ++e) {
                // Lanes past the chunk touch no gate: each gate is read and
                // written by its own lane only.
                auto read = scf::IfOp::create(
                    kb.b(), kb.loc(), TypeRange{kb.b().getF32Type()}, active,
                    /*withElseRegion=*/true);
                {
                  OpBuilder::InsertionGuard guard(kb.b());
                  kb.b().setInsertionPointToStart(read.thenBlock());
                  scf::YieldOp::create(
                      kb.b(), kb.loc(),
                      kb.load(gcum.mem, {kb.add(first, kb.idx(e)), zero}));
                  kb.b().setInsertionPointToStart(read.elseBlock());
                  scf::YieldOp::create(kb.b(), kb.loc(), kb.f32(0.0));
                }
                total = kb.fadd(total, read.getResult(0));
                local.push_back(total);
              }
              Value inclusive = total;
              for (int32_t offset = 1; offset < 32; offset *= 2) {
                Value up = gpu::ShuffleOp::create(kb.b(), kb.loc(), inclusive,
                                                  offset, 32,
                                                  gpu::ShuffleMode::UP)
                               .getShuffleResult();
                Value has = kb.le(kb.idx(offset), lane);
                inclusive =
                    kb.fadd(inclusive, kb.select(has, up, kb.f32(0.0)));
              }
              Value before = kb.fsub(inclusive, total);
              kb.ifThen(active, [&] {
                for (int64_t e = 0; e < k; ++e)
                  kb.store(kb.fadd(before, local[e]), gcum.mem,
                           {kb.add(first, kb.idx(e)), zero});
              });
            });
}

Value LinearFamilyEmitter::decayBetween(Value i, Value j) {
  if (p.gate == GateKind::None)
    return kb.f32(1.0);
  return kb.fexp(kb.fsub(gateAt(i), gateAt(j)));
}

void LinearFamilyEmitter::vectorGateScores() {
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

void LinearFamilyEmitter::linearChunk(Value t0) {
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

void LinearFamilyEmitter::maskScores(SmemTile scores) {
  // ab = (scores (.) D) in bf16, D_ij = e^(b_i - b_j) for j <= i, else 0.
  kb.forEachElement(C, C, [&](Value i, Value j) {
    Value x = kb.fmul(kb.load(scores.mem, {i, j}), decayBetween(i, j));
    x = kb.select(kb.le(j, i), x, kb.f32(0.0));
    kb.store(kb.fromF32(x, bf16), ab.mem, {i, j});
  });
}

void LinearFamilyEmitter::decayOutputRows() {
  // o's inter-chunk part Q S decays by e^(b_i) in row i.
  kb.forEachElement(C, BV, [&](Value i, Value j) {
    Value x = kb.fmul(kb.load(of.mem, {i, j}), kb.fexp(gateAt(i)));
    kb.store(x, of.mem, {i, j});
  });
}

void LinearFamilyEmitter::decayForStateUpdate() {
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

void LinearFamilyEmitter::accumulateChunk() {
  // o += (masked scores) V' and S += K'^T V' (V' = V, or U for the delta
  // rule); both only read their operands, so they share one phase.
  emitTileMma(kb, of, {ab}, {vs}, {C, BV, C}, {/*accumulate=*/true});
  emitTileMma(kb, sf, {ks, /*transposed=*/true}, {vs}, {p.Dk, BV, C},
              {/*accumulate=*/true});
  kb.barrier();
}

void LinearFamilyEmitter::deltaChunk(Value t0) {
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

void LinearFamilyEmitter::emitPrep() {
  // One block per (chunk, batch * head): T = (I + L)^-1 with
  // L = StrictTril(diag(beta) K K^T (.) D), written as T diag(beta) and
  // T diag(beta e^b) in bf16 for the sequential kernel. Every chunk is
  // independent, so this part of the work fills the GPU whatever B * H is.
  OpBuilder &b = kb.b();
  Location loc = kb.loc();
  bf16 = b.getBF16Type();
  Type f32 = b.getF32Type();
  Value cx = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  Value by = gpu::BlockIdOp::create(b, loc, gpu::Dimension::y);
  bIdx = kb.div(by, kb.idx(p.Hq));
  hIdx = kb.rem(by, kb.idx(p.Hq));
  hkv = kb.div(hIdx, kb.idx(p.Hq / p.Hkv));
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

void LinearFamilyEmitter::storeOutput(Value t0) {
  storeRowsFromTile(kb, of, args.lookup("o"), bIdx, t0, hIdx, v0, p.Tq);
  convertTile(kb, sf, sb);
  kb.barrier();
}

void LinearFamilyEmitter::emit() {
  OpBuilder &b = kb.b();
  Location loc = kb.loc();
  Value bx = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  Value by = gpu::BlockIdOp::create(b, loc, gpu::Dimension::y);
  bIdx = kb.div(by, kb.idx(p.Hq));
  hIdx = kb.rem(by, kb.idx(p.Hq));
  hkv = kb.div(hIdx, kb.idx(p.Hq / p.Hkv));
  v0 = kb.mul(bx, kb.idx(BV));

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
  LinearFamilyEmitter(kb, p, args).emit();
}

void mlir::attn::gpu_codegen::emitDeltaPrepKernel(KernelBuilder &kb,
                                                  const GpuProblem &p,
                                                  const KernelArgs &args) {
  LinearFamilyEmitter(kb, p, args).emitPrep();
}
