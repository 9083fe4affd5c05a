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
  void loadQKV(Value t0);
  void loadChunk(Value t0);
  void cumulativeGate(Value t0);
  void scanScalarGates();
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
  void emitStates();
  void emitOutputs();

private:
  /// blockIdx.x: the block of value columns, .y: (batch, head).
  void bindBlock();
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

void LinearFamilyEmitter::loadQKV(Value t0) {
  // phi(q) scale, phi(k), and v's columns v0.. of the chunk's rows.
  Value zero = kb.idx(0);
  loadRowsToTile(kb, qs, args.lookup("q"), bIdx, t0, hIdx, zero, p.Tq,
                 [&](Value x) {
                   return kb.fmul(featureMap(kb, x, p.featureMap),
                                  kb.f32(p.scale));
                 });
  loadRowsToTile(kb, ks, args.lookup("k"), bIdx, t0, hkv, zero, p.Tq,
                 [&](Value x) { return featureMap(kb, x, p.featureMap); });
  loadRowsToTile(kb, vs, args.lookup("v"), bIdx, t0, hkv, v0, p.Tq);
}

void LinearFamilyEmitter::loadChunk(Value t0) {
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
  scanScalarGates();
}

void LinearFamilyEmitter::scanScalarGates() {
  // Warp 0 scans gcum's column in place: lane l owns k consecutive gates,
  // sums them, and a shuffle scan over the lanes' totals gives each lane its
  // offset.
  Value zero = kb.idx(0);
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

void LinearFamilyEmitter::bindBlock() {
  OpBuilder &b = kb.b();
  Location loc = kb.loc();
  Value bx = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  Value by = gpu::BlockIdOp::create(b, loc, gpu::Dimension::y);
  bIdx = kb.div(by, kb.idx(p.Hq));
  hIdx = kb.rem(by, kb.idx(p.Hq));
  hkv = kb.div(hIdx, kb.idx(p.Hq / p.Hkv));
  v0 = kb.mul(bx, kb.idx(BV));
}

void LinearFamilyEmitter::emit() {
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

void LinearFamilyEmitter::emitStates() {
  // The split form's sequential pass. Block (x, y, z) owns the state slice
  // of rows 64z..64z+63 (Dk) and columns BV x.. of head y, in the warps' mma
  // accumulators for the whole walk over the chunks: warp w holds rows
  // 16w..16w+15 of the slice, all BV / 8 column tiles. Per chunk n: the
  // state entering it goes out (bf16) to chunk_states for the output kernel,
  // then S = e^(b_C) S + (diag(e^(b_C - b)) K)^T V. The chunk's K and V
  // tiles were staged in shared memory during the chunk before: the global
  // loads of chunk n + 1 are issued first and land while chunk n computes
  // (two buffers, rows [0, C) and [C, 2C)).
  OpBuilder &b = kb.b();
  Location loc = kb.loc();
  BV = p.stateBlockV;
  bindBlock();
  const int64_t KR = kStateRows;
  Value kd0 = kb.mul(gpu::BlockIdOp::create(b, loc, gpu::Dimension::z),
                     kb.idx(KR));
  bf16 = b.getBF16Type();
  Type f32 = b.getF32Type();
  ks = kb.allocTile(2 * C, KR, bf16);
  vs = kb.allocTile(2 * C, BV, bf16);
  gcum = kb.allocTile(C, 1, f32);
  bool gated = p.gate == GateKind::Scalar;

  const int64_t nTiles = BV / 8;
  Value m0 = kb.mul(kb.warpId(), kb.idx(16));
  // Calls f(accumulator index, row in the slice, column) for every element
  // the thread holds.
  auto forEachAcc = [&](function_ref<void(int64_t, Value, Value)> f) {
    for (int64_t j = 0; j < nTiles; ++j)
      for (int64_t e = 0; e < 4; ++e) {
        auto [r, c] = accPosition(kb, m0, kb.idx(8 * j), e);
        f(4 * j + e, r, c);
      }
  };
  SmallVector<Value> init(nTiles * 4);
  Value s0 = args.lookup("initial_state");
  forEachAcc([&](int64_t a, Value r, Value c) {
    init[a] = s0 ? kb.toF32(kb.load(s0, {bIdx, hIdx, kb.add(kd0, r),
                                          kb.add(v0, c)}))
                 : kb.f32(0.0);
  });

  Value zero = kb.idx(0);
  Value kIn = args.lookup("k"), vIn = args.lookup("v"), gIn = args.lookup("g");
  auto phi = [&](Value x) { return featureMap(kb, x, p.featureMap); };
  // Issues the loads of chunk c's tiles (and gate) into registers.
  struct Staged {
    StagedRows k, v;
    Value g;
  };
  auto stage = [&](Value c) {
    Value t0 = kb.mul(c, kb.idx(C));
    Staged st{loadRowsToRegisters(kb, C, KR, kIn, bIdx, t0, hkv, kd0, p.Tq),
              loadRowsToRegisters(kb, C, BV, vIn, bIdx, t0, hkv, v0, p.Tq),
              Value()};
    if (gated) {
      // Thread i < C holds gate i (0 past T or past the chunk).
      Value t = kb.add(t0, kb.minIdx(kb.threadId(), kb.idx(C - 1)));
      Value g = kb.toF32(
          kb.load(gIn, {bIdx, kb.minIdx(t, kb.idx(p.Tq - 1)), hIdx}));
      Value ok = kb.andI1(kb.lt(kb.threadId(), kb.idx(C)),
                          kb.lt(t, kb.idx(p.Tq)));
      st.g = kb.select(ok, g, kb.f32(0.0));
    }
    return st;
  };
  // Writes a staged chunk into buffer rows [off, off + C) and, with a gate,
  // decays its keys to the chunk's end; returns e^(b_C) (1 ungated). Ends
  // with the tiles ready (after a barrier).
  auto land = [&](const Staged &st, Value off) -> Value {
    storeStagedRows(kb, st.k, ks, phi, off);
    storeStagedRows(kb, st.v, vs, nullptr, off);
    if (!gated) {
      kb.barrier();
      return kb.f32(1.0);
    }
    kb.ifThen(kb.lt(kb.threadId(), kb.idx(C)),
              [&] { kb.store(st.g, gcum.mem, {kb.threadId(), zero}); });
    kb.barrier();
    scanScalarGates();
    kb.barrier();
    Value last = kb.idx(C - 1);
    kb.forEachElement(C, KR, [&](Value i, Value d) {
      Value row = kb.add(off, i);
      Value k = kb.fmul(kb.toF32(kb.load(ks.mem, {row, d})),
                        decayBetween(last, i));
      kb.store(kb.fromF32(k, bf16), ks.mem, {row, d});
    });
    Value decay = kb.fexp(gateAt(last));
    kb.barrier();
    return decay;
  };

  init.push_back(land(stage(zero), zero));
  Value states = args.lookup("chunk_states");
  Value bh = kb.add(kb.mul(bIdx, kb.idx(p.Hq)), hIdx);
  auto loop = scf::ForOp::create(b, loc, zero, kb.idx(p.numChunks()),
                                 kb.idx(1), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value n = loop.getInductionVar();
    SmallVector<Value> acc(loop.getRegionIterArgs());
    Value decay = acc.pop_back_val();
    Value two = kb.idx(2);
    Value cur = kb.mul(kb.rem(n, two), kb.idx(C));
    Value next = kb.mul(kb.rem(kb.add(n, kb.idx(1)), two), kb.idx(C));
    Staged st = stage(kb.add(n, kb.idx(1)));
    Value rows = kb.add(kb.mul(n, kb.idx(p.Dk)), kd0);
    forEachAcc([&](int64_t a, Value r, Value c) {
      kb.store(kb.fromF32(acc[a], bf16), states,
               {bh, kb.add(rows, r), zero, kb.add(v0, c)});
    });
    if (gated)
      for (Value &v : acc)
        v = kb.fmul(v, decay);
    // S += K'^T V over the chunk, 16 steps at a time.
    for (int64_t k0 = 0; k0 < C; k0 += 16) {
      Value kk = kb.add(cur, kb.idx(k0));
      SmallVector<Value> afrag = loadA(kb, {ks, /*transposed=*/true}, m0, kk);
      for (int64_t j = 0; j < nTiles; j += 2) {
        auto [b0, b1] = loadB2(kb, {vs}, kk, kb.idx(8 * j));
        SmallVector<Value> c0(ArrayRef<Value>(acc).slice(4 * j, 4));
        SmallVector<Value> c1(ArrayRef<Value>(acc).slice(4 * (j + 1), 4));
        SmallVector<Value> d0 = mma(kb, afrag, b0, c0);
        SmallVector<Value> d1 = mma(kb, afrag, b1, c1);
        std::copy(d0.begin(), d0.end(), acc.begin() + 4 * j);
        std::copy(d1.begin(), d1.end(), acc.begin() + 4 * (j + 1));
      }
    }
    // The other buffer was last read in chunk n - 1, before its closing
    // barrier.
    acc.push_back(land(st, next));
    scf::YieldOp::create(b, loc, acc);
  }
  if (Value fin = args.lookup("final_state"))
    forEachAcc([&](int64_t a, Value r, Value c) {
      kb.store(loop.getResult(a), fin,
               {bIdx, hIdx, kb.add(kd0, r), kb.add(v0, c)});
    });
}

void LinearFamilyEmitter::emitOutputs() {
  // The split form's parallel pass: one block per (block of value columns,
  // batch * head, chunk of 16 * kWarps rows) computes the chunk's output
  // from the state that entered it (chunk_states),
  //   o = diag(e^b) Q S + (Q K^T (.) D) V,
  // as the softmax kernel does: warp w owns rows 16w..16w+15 and keeps their
  // output and scores in mma accumulators; the masked, decayed scores go
  // from the accumulators straight into the A operand of the P V product.
  OpBuilder &b = kb.b();
  Location loc = kb.loc();
  BV = p.outputBlockV();
  bindBlock();
  Value n = gpu::BlockIdOp::create(b, loc, gpu::Dimension::z);
  Value t0 = kb.mul(n, kb.idx(C));
  bf16 = b.getBF16Type();
  Type f32 = b.getF32Type();
  qs = kb.allocTile(C, p.Dk, bf16);
  ks = kb.allocTile(C, p.Dk, bf16);
  vs = kb.allocTile(C, BV, bf16);
  sb = kb.allocTile(p.Dk, BV, bf16);
  gcum = kb.allocTile(C, 1, f32);

  Value zero = kb.idx(0);
  loadQKV(t0);
  Value bh = kb.add(kb.mul(bIdx, kb.idx(p.Hq)), hIdx);
  loadRowsToTile(kb, sb, args.lookup("chunk_states"), bh,
                 kb.mul(n, kb.idx(p.Dk)), zero, v0,
                 p.numChunks() * p.Dk);
  if (p.gate == GateKind::Scalar)
    cumulativeGate(t0);
  kb.barrier();

  const int64_t nO = BV / 8, nS = C / 8;
  Value m0 = kb.mul(kb.warpId(), kb.idx(16));
  // The lane's two rows (accumulator elements 0-1 and 2-3) in the chunk.
  Value rowA = kb.add(m0, kb.div(kb.laneId(), kb.idx(4)));
  Value rows[2] = {rowA, kb.add(rowA, kb.idx(8))};
  Value colBase = kb.mul(kb.rem(kb.laneId(), kb.idx(4)), kb.idx(2));

  // O = Q S, and S = Q K^T, sharing Q's A fragments.
  SmallVector<SmallVector<Value>> o(nO, SmallVector<Value>(4, kb.f32(0)));
  SmallVector<SmallVector<Value>> s(nS, SmallVector<Value>(4, kb.f32(0)));
  for (int64_t kk = 0; kk < p.Dk; kk += 16) {
    SmallVector<Value> a = loadA(kb, {qs}, m0, kb.idx(kk));
    for (int64_t t = 0; t < nO; t += 2) {
      auto [b0, b1] = loadB2(kb, {sb}, kb.idx(kk), kb.idx(8 * t));
      o[t] = mma(kb, a, b0, o[t]);
      o[t + 1] = mma(kb, a, b1, o[t + 1]);
    }
    for (int64_t j = 0; j < nS; j += 2) {
      auto [b0, b1] =
          loadB2(kb, {ks, /*transposed=*/true}, kb.idx(kk), kb.idx(8 * j));
      s[j] = mma(kb, a, b0, s[j]);
      s[j + 1] = mma(kb, a, b1, s[j + 1]);
    }
  }
  if (p.gate == GateKind::Scalar) {
    // The inter-chunk part decays by e^(b_i) in row i.
    Value decay[2] = {kb.fexp(gateAt(rows[0])), kb.fexp(gateAt(rows[1]))};
    for (int64_t t = 0; t < nO; ++t)
      for (int64_t e = 0; e < 4; ++e)
        o[t][e] = kb.fmul(o[t][e], decay[e / 2]);
  }
  // The causal mask and the decays D_ij = e^(b_i - b_j), j <= i.
  for (int64_t j = 0; j < nS; ++j)
    for (int64_t e = 0; e < 4; ++e) {
      Value row = rows[e / 2];
      Value col = kb.add(colBase, kb.idx(8 * j + e % 2));
      s[j][e] = kb.select(kb.le(col, row),
                          kb.fmul(s[j][e], decayBetween(row, col)),
                          kb.f32(0.0));
    }
  // O += P V.
  for (int64_t kk = 0; kk < C / 16; ++kk) {
    SmallVector<Value> a = accumulatorsAsA(kb, s[2 * kk], s[2 * kk + 1]);
    for (int64_t t = 0; t < nO; t += 2) {
      auto [b0, b1] = loadB2(kb, {vs}, kb.idx(16 * kk), kb.idx(8 * t));
      o[t] = mma(kb, a, b0, o[t]);
      o[t + 1] = mma(kb, a, b1, o[t + 1]);
    }
  }
  // Rows past T are not stored.
  Value out = args.lookup("o");
  Type outTy = cast<MemRefType>(out.getType()).getElementType();
  for (int r = 0; r < 2; ++r) {
    Value t = kb.add(t0, rows[r]);
    kb.ifThen(kb.lt(t, kb.idx(p.Tq)), [&] {
      for (int64_t tile = 0; tile < nO; ++tile)
        for (int64_t e = 2 * r; e < 2 * r + 2; ++e) {
          Value col = kb.add(v0, kb.add(colBase, kb.idx(8 * tile + e % 2)));
          kb.store(kb.fromF32(o[tile][e], outTy), out, {bIdx, t, hIdx, col});
        }
    });
  }
}

} // namespace

void mlir::attn::gpu_codegen::emitLinearStatesKernel(KernelBuilder &kb,
                                                     const GpuProblem &p,
                                                     const KernelArgs &args) {
  LinearFamilyEmitter(kb, p, args).emitStates();
}

void mlir::attn::gpu_codegen::emitLinearOutputKernel(KernelBuilder &kb,
                                                     const GpuProblem &p,
                                                     const KernelArgs &args) {
  LinearFamilyEmitter(kb, p, args).emitOutputs();
}

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
