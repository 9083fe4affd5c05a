//===- GlaSplitKernels.cpp - gated linear attention's split form ----------===//
//
// GLA (a per-dimension gate g [B, T, H, Dk] in log space) as two kernels,
// like linear attention's split form (LinearSplitKernels.cpp). With b the
// in-chunk cumulative log-decay (non-increasing down each column):
//
//   state pass:  S_{n+1} = diag(e^(b_C)) S_n + (K_n (.) e^(b_C - b))^T V_n
//   outputs:     o_n = (Q_n (.) e^b) S_n + A V_n
//
// The scores A_ij = sum_d q_id k_jd e^(b_id - b_jd) (j <= i) run on the
// tensor cores by secondary chunking: the chunk's rows fall in 16-row blocks
// (one per warp), and the block pair (I, J), J <= I, is a product
//
//   A_IJ = (Q_I (.) e^(b - m_I)) (K_J (.) e^(m_I - b))^T
//
// with one reference row vector m_I per block I. m_I = b_I0 - min(s/2, 40)
// (per dimension; b_I0 the block's first row, s = b_I0 - b_I15 its spread)
// lies at or below every b of the blocks J < I, so K's exponents there are
// <= 0, and Q's exponents b - m_I are at most 40 (e^40 ~ 2e17, far from
// bf16's overflow). For the diagonal block both factors stay within e^(+-40)
// when every spread is under 80 (a per-step log-gate of -5 still has 75),
// which makes the product exact to bf16 rounding; a warp whose block has a
// stronger decay in some dimension sums its diagonal block elementwise
// instead (a Dk loop with an exp per term, as the fused kernel does).
//
//===----------------------------------------------------------------------===//
#include "LinearFamily.h"
#include "TileMma.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::gpu_codegen;

namespace {

/// The largest spread b_I0 - b_I15 of a 16-row block, in any dimension,
/// whose diagonal block is taken on the tensor cores.
constexpr double kMaxTensorCoreSpread = 80.0;

/// scf.if (cond) { yield then() } else { yield otherwise }.
SmallVector<Value> ifElse(KernelBuilder &kb, Value cond, ValueRange otherwise,
                          function_ref<SmallVector<Value>()> then) {
  SmallVector<Type> types;
  for (Value v : otherwise)
    types.push_back(v.getType());
  auto op = scf::IfOp::create(kb.b(), kb.loc(), types, cond,
                              /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(kb.b());
  kb.b().setInsertionPointToStart(op.thenBlock());
  scf::YieldOp::create(kb.b(), kb.loc(), then());
  kb.b().setInsertionPointToStart(op.elseBlock());
  scf::YieldOp::create(kb.b(), kb.loc(), otherwise);
  return SmallVector<Value>(op.getResults());
}

class GlaSplitEmitter : public LinearFamilyEmitter {
public:
  GlaSplitEmitter(KernelBuilder &kb, const GpuProblem &p,
                  const KernelArgs &args)
      : LinearFamilyEmitter(kb, p, args) {}

  void emitStates();
  void emitOutputs();

private:
  Value load2(SmemTile t, Value row, Value col);
  SmallVector<Value> decayedKeyFragment(Value j0, Value k0, Value m[4]);
  SmallVector<Value> exactDiagonal(Value t0, Value m0, int64_t block);
  Value blockSpread(Value m0);
  Value reference(Value first, Value last);

  SmemTile qg;
};

Value GlaSplitEmitter::load2(SmemTile t, Value row, Value col) {
  // Two adjacent elements at an even column: one aligned access.
  Type elem = t.elementType();
  return vector::LoadOp::create(
      kb.b(), kb.loc(), VectorType::get({2}, elem), t.mem,
      ValueRange{row, col}, /*nontemporal=*/false,
      llvm::MaybeAlign(2 * elem.getIntOrFloatBitWidth() / 8));
}

void GlaSplitEmitter::emitStates() {
  // The sequential pass, as linear attention's (see there for the block's
  // slice of the state in the warps' accumulators and the double-buffered
  // K and V tiles), with the gate's tile of the slice's 64 dimensions
  // staged along: per chunk its column scan gives b, the keys decay by
  // e^(b_C - b) per element and accumulator row d of S by e^(b_C,d).
  OpBuilder &b = kb.b();
  Location loc = kb.loc();
  BV = p.stateBlockV;
  bindBlock();
  const int64_t KR = kStateRows;
  Value kd0 = kb.mul(gpu::BlockIdOp::create(b, loc, gpu::Dimension::z),
                     kb.idx(KR));
  bf16 = b.getBF16Type();
  ks = kb.allocTile(2 * C, KR, bf16);
  vs = kb.allocTile(2 * C, BV, bf16);
  gcum = kb.allocTile(C, KR, b.getF32Type());

  const int64_t nTiles = BV / 8;
  Value m0 = kb.mul(kb.warpId(), kb.idx(16));
  auto forEachAcc = [&](function_ref<void(int64_t, Value, Value)> f) {
    forEachAccumulator(kb, m0, nTiles, f);
  };
  SmallVector<Value> init = initialStateAccumulators(m0, kd0, nTiles);

  Value zero = kb.idx(0);
  Value kIn = args.lookup("k"), vIn = args.lookup("v"), gIn = args.lookup("g");
  auto phi = [&](Value x) { return featureMap(kb, x, p.featureMap); };
  struct Staged {
    StagedRows k, v, g;
  };
  auto stage = [&](Value c) {
    Value t0 = kb.mul(c, kb.idx(C));
    return Staged{
        loadRowsToRegisters(kb, C, KR, kIn, bIdx, t0, hkv, kd0, p.Tq),
        loadRowsToRegisters(kb, C, BV, vIn, bIdx, t0, hkv, v0, p.Tq),
        loadRowsToRegisters(kb, C, KR, gIn, bIdx, t0, hIdx, kd0, p.Tq)};
  };
  // Writes a staged chunk into buffer rows [off, off + C), decays its keys
  // to the chunk's end, and returns e^(b_C) of the lane's two accumulator
  // rows. Ends with the tiles ready (after a barrier).
  Value last = kb.idx(C - 1);
  Value laneRow = kb.add(m0, kb.div(kb.laneId(), kb.idx(4)));
  auto land = [&](const Staged &st, Value off) -> SmallVector<Value> {
    storeStagedRows(kb, st.k, ks, phi, off);
    storeStagedRows(kb, st.v, vs, nullptr, off);
    storeStagedRows(kb, st.g, gcum);
    kb.barrier();
    scanGateColumns(gcum);
    kb.forEachElement(C, KR, [&](Value i, Value d) {
      Value row = kb.add(off, i);
      Value decay = kb.fexp(kb.fsub(kb.load(gcum.mem, {last, d}),
                                    kb.load(gcum.mem, {i, d})));
      Value k = kb.fmul(kb.toF32(kb.load(ks.mem, {row, d})), decay);
      kb.store(kb.fromF32(k, bf16), ks.mem, {row, d});
    });
    SmallVector<Value> decay = {
        kb.fexp(kb.load(gcum.mem, {last, laneRow})),
        kb.fexp(kb.load(gcum.mem, {last, kb.add(laneRow, kb.idx(8))}))};
    kb.barrier();
    return decay;
  };

  init.append(land(stage(zero), zero));
  Value states = args.lookup("chunk_states");
  Value bh = kb.add(kb.mul(bIdx, kb.idx(p.Hq)), hIdx);
  auto loop = scf::ForOp::create(b, loc, zero, kb.idx(p.numChunks()),
                                 kb.idx(1), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value n = loop.getInductionVar();
    SmallVector<Value> acc(loop.getRegionIterArgs());
    Value decay[2];
    decay[1] = acc.pop_back_val();
    decay[0] = acc.pop_back_val();
    Value two = kb.idx(2);
    Value cur = kb.mul(kb.rem(n, two), kb.idx(C));
    Value next = kb.mul(kb.rem(kb.add(n, kb.idx(1)), two), kb.idx(C));
    Staged st = stage(kb.add(n, kb.idx(1)));
    Value rows = kb.add(kb.mul(n, kb.idx(p.Dk)), kd0);
    storeStateRows(acc, states, bh, kb.add(rows, m0));
    // Accumulator element e of a tile is in the lane's row e / 2.
    for (size_t a = 0; a < acc.size(); ++a)
      acc[a] = kb.fmul(acc[a], decay[(a % 4) / 2]);
    for (int64_t k0 = 0; k0 < C; k0 += 16) {
      Value kk = kb.add(cur, kb.idx(k0));
      SmallVector<Value> afrag = loadA(kb, {ks, /*transposed=*/true}, m0, kk);
      mmaAccumulateRow(kb, afrag, {vs}, kk, acc);
    }
    // The other buffer and the gate tile were last read in chunk n - 1,
    // before its closing barrier.
    acc.append(land(st, next));
    scf::YieldOp::create(b, loc, acc);
  }
  storeFinalStateAccumulators(loop.getResults().take_front(4 * nTiles), m0,
                              kd0, nTiles);
}

SmallVector<Value> GlaSplitEmitter::decayedKeyFragment(Value j0, Value k0,
                                                       Value m[4]) {
  // The B fragment (K^T at rows k0.., columns j0..j0+7) of K (.) e^(m - b):
  // lane l holds key row j0 + l/4, dimensions k0 + 2(l%4) + {0, 1} and
  // those + 8. m: the reference at those four dimensions.
  Value j = kb.add(j0, kb.div(kb.laneId(), kb.idx(4)));
  Value d = kb.add(k0, kb.mul(kb.rem(kb.laneId(), kb.idx(4)), kb.idx(2)));
  SmallVector<Value> words;
  for (int64_t half = 0; half < 2; ++half) {
    Value dh = kb.add(d, kb.idx(8 * half));
    Value kv = load2(ks, j, dh), bv = load2(gcum, j, dh);
    Value x[2];
    for (int64_t e = 0; e < 2; ++e) {
      Value kx = kb.toF32(vector::ExtractOp::create(kb.b(), kb.loc(), kv, e));
      Value bx = vector::ExtractOp::create(kb.b(), kb.loc(), bv, e);
      x[e] = kb.fmul(kx, kb.fexp(kb.fsub(m[2 * half + e], bx)));
    }
    words.push_back(packBf16(kb, x[0], x[1]));
  }
  return words;
}

Value GlaSplitEmitter::reference(Value first, Value last) {
  // m = b_I0 - min(s / 2, 40), s = b_I0 - b_I15.
  Value half = kb.fmin(kb.fmul(kb.fsub(first, last), kb.f32(0.5)),
                       kb.f32(kMaxTensorCoreSpread / 2));
  return kb.fsub(first, half);
}

Value GlaSplitEmitter::blockSpread(Value m0) {
  // The largest b_I0 - b_I15 over the dimensions, the same in every lane.
  Value spread = kb.f32(0.0);
  Value lastRow = kb.add(m0, kb.idx(15));
  for (int64_t d0 = 0; d0 < p.Dk; d0 += 32) {
    Value d = kb.add(kb.laneId(), kb.idx(d0));
    spread = kb.fmax(spread, kb.fsub(kb.load(gcum.mem, {m0, d}),
                                     kb.load(gcum.mem, {lastRow, d})));
  }
  for (int32_t offset = 16; offset >= 1; offset /= 2)
    spread = kb.fmax(spread, gpu::ShuffleOp::create(kb.b(), kb.loc(), spread,
                                                    offset, 32,
                                                    gpu::ShuffleMode::XOR)
                                 .getShuffleResult());
  return spread;
}

SmallVector<Value> GlaSplitEmitter::exactDiagonal(Value t0, Value m0,
                                                  int64_t block) {
  // The warp's diagonal block (two n8 accumulator tiles) summed
  // elementwise: A_ij = sum_d q_id k_jd e^(b_id - b_jd). q is read again
  // from global memory (its tile holds Q (.) e^(b - m) by now); rows past
  // T read row T - 1 and are never stored.
  Value qIn = args.lookup("q");
  SmallVector<Value> out;
  for (int64_t tile = 0; tile < 2; ++tile)
    for (int64_t e = 0; e < 4; ++e) {
      std::pair<Value, Value> pos =
          accPosition(kb, m0, kb.idx(16 * block + 8 * tile), e);
      Value i = pos.first, j = pos.second;
      Value t = kb.minIdx(kb.add(t0, i), kb.idx(p.Tq - 1));
      auto dot = scf::ForOp::create(
          kb.b(), kb.loc(), kb.idx(0), kb.idx(p.Dk), kb.idx(1),
          ValueRange{kb.f32(0.0)},
          [&](OpBuilder &, Location, Value d, ValueRange acc) {
            Value q = kb.fmul(
                featureMap(kb, kb.toF32(kb.load(qIn, {bIdx, t, hIdx, d})),
                           p.featureMap),
                kb.f32(p.scale));
            Value k = kb.toF32(kb.load(ks.mem, {j, d}));
            // Pairs j > i are masked later; the clamp keeps them finite.
            Value x = kb.fsub(kb.load(gcum.mem, {i, d}),
                              kb.load(gcum.mem, {j, d}));
            Value decay = kb.fexp(kb.fmin(x, kb.f32(0.0)));
            scf::YieldOp::create(kb.b(), kb.loc(),
                                 kb.ffma(kb.fmul(q, k), decay, acc[0]));
          });
      out.push_back(dot.getResult(0));
    }
  return out;
}

void GlaSplitEmitter::emitOutputs() {
  // The parallel pass: one block per (block of value columns, batch * head,
  // chunk), warp w owning rows 16w..16w+15 (block I = w) with its output
  // and scores in mma accumulators, as in linear attention's output kernel.
  OpBuilder &b = kb.b();
  Location loc = kb.loc();
  OutputChunk chunk = beginOutputChunk();
  Value n = chunk.n, t0 = chunk.t0;
  SmemTile sb = chunk.state;
  Type f32 = b.getF32Type();
  gcum = kb.allocTile(C, p.Dk, f32);
  qg = kb.allocTile(C, p.Dk, bf16);
  const int64_t nBlocks = C / 16;

  Value zero = kb.idx(0);
  Value bh = kb.add(kb.mul(bIdx, kb.idx(p.Hq)), hIdx);
  // The tiles by cp.async where their types allow (else synchronous loads,
  // converting) in two groups: Q, K and the gates, which the scan and the
  // scores need first, then the state and V.
  auto commit = [&](ArrayRef<Value> tokens) {
    return tokens.empty() ? Value() : commitAsyncCopies(kb, tokens);
  };
  SmallVector<Value> first = fetchRowsToTile(
      kb, qs, zero, C, args.lookup("q"), bIdx, t0, hIdx, zero, p.Tq);
  first.append(fetchRowsToTile(kb, ks, zero, C, args.lookup("k"), bIdx, t0,
                               hkv, zero, p.Tq));
  first.append(fetchRowsToTile(kb, gcum, zero, C, args.lookup("g"), bIdx, t0,
                               hIdx, zero, p.Tq));
  Value firstGroup = commit(first);
  SmallVector<Value> second = fetchRowsToTile(
      kb, sb, zero, p.Dk, args.lookup("chunk_states"), bh,
      kb.mul(n, kb.idx(p.Dk)), zero, v0, p.numChunks() * p.Dk);
  second.append(fetchRowsToTile(kb, vs, zero, C, args.lookup("v"), bIdx, t0,
                                hkv, v0, p.Tq));
  Value secondGroup = commit(second);
  if (firstGroup)
    waitAsyncCopies(kb, firstGroup, secondGroup ? 1 : 0);
  kb.barrier();
  if (p.featureMap != FeatureMap::Identity)
    mapTileInPlace(kb, ks,
                   [&](Value x) { return featureMap(kb, x, p.featureMap); });
  scanGateColumns(gcum); // ends with a barrier

  // Q (.) e^b for the inter-chunk part, and Q (.) e^(b - m_I) in place of
  // Q (m_I: the reference of row i's block); q = scale phi(q).
  kb.forEachElement(C, p.Dk, [&](Value i, Value d) {
    Value bi = kb.load(gcum.mem, {i, d});
    Value r0 = kb.mul(kb.div(i, kb.idx(16)), kb.idx(16));
    Value m = reference(kb.load(gcum.mem, {r0, d}),
                        kb.load(gcum.mem, {kb.add(r0, kb.idx(15)), d}));
    Value q = kb.fmul(
        featureMap(kb, kb.toF32(kb.load(qs.mem, {i, d})), p.featureMap),
        kb.f32(p.scale));
    kb.store(kb.fromF32(kb.fmul(q, kb.fexp(bi)), bf16), qg.mem, {i, d});
    kb.store(kb.fromF32(kb.fmul(q, kb.fexp(kb.fsub(bi, m))), bf16), qs.mem,
             {i, d});
  });
  kb.barrier();

  const int64_t nO = BV / 8, nS = C / 8;
  Value w = kb.warpId();
  Value m0 = kb.mul(w, kb.idx(16));
  Value colBase = kb.mul(kb.rem(kb.laneId(), kb.idx(4)), kb.idx(2));

  // The score blocks A_wJ, J <= w, each a pair of n8 tiles (2J, 2J + 1),
  // while the state and V land.
  SmallVector<Value> s(4 * nS, kb.f32(0));
  for (int64_t blk = 0; blk < nBlocks; ++blk) {
    MutableArrayRef<Value> tiles = MutableArrayRef<Value>(s).slice(8 * blk, 8);
    SmallVector<Value> next =
        ifElse(kb, kb.le(kb.idx(blk), w), tiles, [&] {
          SmallVector<Value> acc(tiles.begin(), tiles.end());
          for (int64_t kk = 0; kk < p.Dk; kk += 16) {
            Value k0 = kb.idx(kk);
            SmallVector<Value> a = loadA(kb, {qs}, m0, k0);
            Value d = kb.add(k0, colBase);
            Value m[4];
            for (int64_t half = 0; half < 2; ++half) {
              Value dh = kb.add(d, kb.idx(8 * half));
              Value first = load2(gcum, m0, dh);
              Value last = load2(gcum, kb.add(m0, kb.idx(15)), dh);
              for (int64_t e = 0; e < 2; ++e)
                m[2 * half + e] = reference(
                    vector::ExtractOp::create(b, loc, first, e),
                    vector::ExtractOp::create(b, loc, last, e));
            }
            for (int64_t tile = 0; tile < 2; ++tile) {
              SmallVector<Value> bfrag = decayedKeyFragment(
                  kb.idx(16 * blk + 8 * tile), k0, m);
              SmallVector<Value> d4 = mma(
                  kb, a, bfrag, ArrayRef<Value>(acc).slice(4 * tile, 4));
              std::copy(d4.begin(), d4.end(), acc.begin() + 4 * tile);
            }
          }
          return acc;
        });
    std::copy(next.begin(), next.end(), tiles.begin());
  }
  // Strong decays: the diagonal block elementwise.
  Value exact =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                            blockSpread(m0), kb.f32(kMaxTensorCoreSpread));
  for (int64_t blk = 0; blk < nBlocks; ++blk) {
    MutableArrayRef<Value> tiles = MutableArrayRef<Value>(s).slice(8 * blk, 8);
    Value mine = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, w,
                                       kb.idx(blk));
    SmallVector<Value> next = ifElse(kb, kb.andI1(mine, exact), tiles,
                                     [&] { return exactDiagonal(t0, m0, blk); });
    std::copy(next.begin(), next.end(), tiles.begin());
  }
  // The causal mask (the decays are in the products).
  for (int64_t j = 0; j < nS; ++j)
    for (int64_t e = 0; e < 4; ++e) {
      auto [row, col] = accPosition(kb, m0, kb.idx(8 * j), e);
      s[4 * j + e] = kb.select(kb.le(col, row), s[4 * j + e], kb.f32(0.0));
    }
  // O = (Q (.) e^b) S, once the state and V have landed.
  if (secondGroup) {
    waitAsyncCopies(kb, secondGroup, 0);
    kb.barrier();
  }
  SmallVector<Value> o(4 * nO, kb.f32(0));
  for (int64_t kk = 0; kk < p.Dk; kk += 16) {
    SmallVector<Value> a = loadA(kb, {qg}, m0, kb.idx(kk));
    mmaAccumulateRow(kb, a, {sb}, kb.idx(kk), o);
  }
  accumulateScoresTimesV(s, vs, o);
  storeOutputRows(t0, m0, o);
}

} // namespace

void mlir::attn::gpu_codegen::emitGlaStatesKernel(KernelBuilder &kb,
                                                  const GpuProblem &p,
                                                  const KernelArgs &args) {
  GlaSplitEmitter(kb, p, args).emitStates();
}

void mlir::attn::gpu_codegen::emitGlaOutputKernel(KernelBuilder &kb,
                                                  const GpuProblem &p,
                                                  const KernelArgs &args) {
  GlaSplitEmitter(kb, p, args).emitOutputs();
}
