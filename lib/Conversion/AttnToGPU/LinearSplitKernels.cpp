//===- LinearSplitKernels.cpp - linear attention's split form -------------===//
//
// Linear and scalar-gated attention as two kernels (GpuProblem::splitsState):
// a state pass that walks the chunks carrying only the state, in the warps'
// mma accumulators, and writes the state entering each chunk; then an output
// kernel parallel over chunks, FlashAttention-style from registers:
//
//   state pass:  S_{n+1} = e^(b_C) S_n + (diag(e^(b_C - b)) K_n)^T V_n
//   outputs:     o_n = diag(e^b) Q_n S_n + (Q_n K_n^T (.) D) V_n,
//                D_ij = e^(b_i - b_j) [j <= i]
//
// with b the in-chunk cumulative log-decay (0 without a gate). The delta
// rule takes the same form after its prep kernel (DeltaPrepKernel.cpp) has
// written W = T diag(beta e^b) K and U = T diag(beta) V per chunk: the
// state pass computes each chunk's V_new = U - W S_n (bf16, to a scratch
// buffer) and updates with it in V's place,
//
//   S_{n+1} = e^(b_C) S_n + (diag(e^(b_C - b)) K_n)^T V_new,
//
// and the output kernel is the one above with V_new for V.
//
// Tile loads here are synchronous or staged through registers a chunk
// ahead; for linear and scalar-gated attention the cp.async form
// (GpuProblem::splitCpAsync, LinearSplitAsyncKernels.cpp) replaces them
// once it has run on the GPU.
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

class SplitStateEmitter : public LinearFamilyEmitter {
public:
  SplitStateEmitter(KernelBuilder &kb, const GpuProblem &p,
                    const KernelArgs &args)
      : LinearFamilyEmitter(kb, p, args) {}

  void emitStates();
  /// The delta rule's state pass; with `outputs` (GpuProblem::
  /// fusesOutputs) it also computes each chunk's outputs and writes neither
  /// chunk states nor V_new.
  void emitDeltaStates(bool outputs);
  void emitOutputs();
};

void SplitStateEmitter::emitStates() {
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
    forEachAccumulator(kb, m0, nTiles, f);
  };
  SmallVector<Value> init = initialStateAccumulators(m0, kd0, nTiles);

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
      mmaAccumulateRow(kb, afrag, {vs}, kk, acc);
    }
    // The other buffer was last read in chunk n - 1, before its closing
    // barrier.
    acc.push_back(land(st, next));
    scf::YieldOp::create(b, loc, acc);
  }
  storeFinalStateAccumulators(loop.getResults().take_front(4 * nTiles), m0,
                              kd0, nTiles);
}

void SplitStateEmitter::emitDeltaStates(bool outputs) {
  // The delta rule's sequential pass. Block (x, y) owns the state's columns
  // BV x.. of head y, all Dk rows (W S contracts over Dk), in the warps' mma
  // accumulators: warp w holds rows 16w + 64i, i < Dk / 64. Per chunk n:
  //   1. S_n (bf16, in shared memory since the end of chunk n - 1: the B
  //      operand of W S) goes out to chunk_states;
  //   2. warp w computes rows 16w.. of V_new = U - W S_n from registers and
  //      stores them (bf16) to shared memory; barrier; V_new goes out;
  //   3. S = e^(b_C) S + K'^T V_new (K' the decayed keys
  //      diag(e^(b_C - b)) K), and S_{n+1} into shared memory for chunk
  //      n + 1.
  // W, U, K (or the prep kernel's K' where the keys are not bf16) and the
  // gates of chunk n + 1 are copied (cp.async, two buffers) while chunk n
  // computes; each warp scans the chunk's gates itself and decays the A
  // fragments of K^T in registers.
  //
  // With `outputs` (bf16 keys, Dk up to 128) Q comes through the same two
  // buffers, and warp w computes the chunk's output rows 16w.. as the
  // output kernel does: V_new, the scores Q K^T and Q S_n (all reading
  // only tiles that have landed) before the barrier that publishes V_new,
  // P V_new after it. Nothing goes to chunk_states or v_new, and the
  // barriers stay two a chunk.
  OpBuilder &b = kb.b();
  Location loc = kb.loc();
  BV = p.stateBlockV;
  bindBlock();
  bf16 = b.getBF16Type();
  const int64_t N = p.numChunks(), mTiles = p.Dk / kStateRows;
  const int64_t nTiles = BV / 8;
  SmemTile ws = kb.allocTile(2 * C, p.Dk, bf16);
  ks = kb.allocTile(2 * C, p.Dk, bf16);
  SmemTile us = kb.allocTile(2 * C, BV, bf16);
  SmemTile ss = kb.allocTile(p.Dk, BV, bf16);
  vs = kb.allocTile(C, BV, bf16);
  const bool gated = p.gate == GateKind::Scalar;
  SmemTile gs = gated ? kb.allocTile(2, C, b.getF32Type()) : SmemTile();
  if (outputs)
    qs = kb.allocTile(2 * C, p.Dk, bf16);

  Value zero = kb.idx(0);
  Value bh = kb.add(kb.mul(bIdx, kb.idx(p.Hq)), hIdx);
  Value wIn = args.lookup("w"), uIn = args.lookup("u");
  Value kUpdate = args.lookup("k_update");
  // K' is decayed here, not by the prep kernel.
  const bool decayKeys = gated && !kUpdate;
  assert((!outputs || !kUpdate) && "the outputs need the raw keys");
  // Issues the copies of chunk c into buffer rows [off, off + C) (none past
  // the last chunk; gates: row c % 2) and returns their group.
  auto issue = [&](Value c, Value off) {
    Value t0 = kb.mul(c, kb.idx(C));
    Value live = kb.lt(c, kb.idx(N));
    SmallVector<Value> tokens =
        asyncCopyRowsToTile(kb, ws, off, C, wIn, bh, t0, zero, zero, N * C,
                            live);
    llvm::append_range(tokens, asyncCopyRowsToTile(kb, us, off, C, uIn, bh,
                                                   t0, zero, v0, N * C, live));
    llvm::append_range(
        tokens, kUpdate ? asyncCopyRowsToTile(kb, ks, off, C, kUpdate, bh, t0,
                                              zero, zero, N * C, live)
                        : asyncCopyRowsToTile(kb, ks, off, C, args.lookup("k"),
                                              bIdx, t0, hkv, zero, p.Tq, live));
    // Past T (and past the last chunk) the gates are zero.
    if (outputs)
      llvm::append_range(tokens,
                         asyncCopyRowsToTile(kb, qs, off, C, args.lookup("q"),
                                             bIdx, t0, hIdx, zero, p.Tq, live));
    if (gated)
      fetchStepsToRow(kb, gs, kb.rem(c, kb.idx(2)), C, args.lookup("g"),
                      bIdx, t0, hIdx, p.Tq, /*async=*/true);
    return commitAsyncCopies(kb, tokens);
  };

  // The state: m-tile i of warp w at rows 16w + 64i, accumulators
  // acc[i * 4 * nTiles ..].
  Value warpRow = kb.mul(kb.warpId(), kb.idx(16));
  auto stateRow = [&](int64_t i) {
    return kb.add(warpRow, kb.idx(kStateRows * i));
  };
  auto tileOf = [&](MutableArrayRef<Value> acc, int64_t i) {
    return acc.slice(i * 4 * nTiles, 4 * nTiles);
  };
  SmallVector<Value> tileRows;
  for (int64_t i = 0; i < mTiles; ++i)
    tileRows.push_back(stateRow(i));
  SmallVector<Value> init =
      initialStateAccumulators(tileRows, Value(), nTiles);
  Value first = issue(zero, zero);
  for (int64_t i = 0; i < mTiles; ++i)
    storeAccumulators(kb, tileOf(init, i), stateRow(i), ss);
  waitAsyncCopies(kb, first);
  kb.barrier();

  Value states = args.lookup("chunk_states"), vNew = args.lookup("v_new");
  auto loop = scf::ForOp::create(b, loc, zero, kb.idx(N), kb.idx(1), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value n = loop.getInductionVar();
    SmallVector<Value> acc(loop.getRegionIterArgs());
    Value two = kb.idx(2);
    Value cur = kb.mul(kb.rem(n, two), kb.idx(C));
    Value nextChunk = kb.add(n, kb.idx(1));
    // The other buffer was last read in chunk n - 1, before its closing
    // barrier.
    Value group = issue(nextChunk, kb.mul(kb.rem(nextChunk, two), kb.idx(C)));
    std::optional<ScalarChunkGates> scalarGates;
    if (gated)
      scalarGates = scalarChunkGates(gs, kb.rem(n, two));
    Value t0 = kb.mul(n, kb.idx(C));
    // V_new = U - W S_n, rows 16w.. of the chunk, to shared memory (read by
    // every warp after the next barrier).
    auto computeNewValues = [&] {
      SmallVector<Value> vn(4 * nTiles, kb.f32(0.0));
      for (int64_t k0 = 0; k0 < p.Dk; k0 += 16) {
        SmallVector<Value> a =
            loadA(kb, {ws}, kb.add(cur, warpRow), kb.idx(k0));
        mmaAccumulateRow(kb, a, {ss}, kb.idx(k0), vn);
      }
      forEachAccumulator(kb, warpRow, nTiles,
                         [&](int64_t a, Value r, Value c) {
                           Value u = kb.toF32(
                               kb.load(us.mem, {kb.add(cur, r), c}));
                           vn[a] = kb.fsub(u, vn[a]);
                         });
      storeAccumulators(kb, vn, warpRow, vs);
    };
    if (outputs) {
      // V_new first, so that its accumulators are free before the scores'.
      computeNewValues();
      std::optional<LaneGates> gates;
      if (scalarGates)
        gates = laneGatesFromScan(*scalarGates, warpRow);
      chunkOutputs(t0, warpRow, kb.add(cur, warpRow), cur, zero, ss,
                   gates ? &*gates : nullptr, [] {}, [&] { kb.barrier(); });
    } else {
      storeRowsFromTile(kb, ss, states, bh, kb.mul(n, kb.idx(p.Dk)), zero,
                        v0, N * p.Dk);
      computeNewValues();
      kb.barrier();
      storeRowsFromTile(kb, vs, vNew, bh, t0, zero, v0, N * C);
    }

    // S = e^(b_C) S + K'^T V_new, each V_new fragment pair loaded once for
    // the warp's m-tiles.
    std::optional<ChunkDecays> decays;
    if (scalarGates)
      decays = scalarGateDecays(*scalarGates, mTiles);
    if (decays)
      for (Value &v : acc)
        v = kb.fmul(v, decays->state[0][0]);
    SmallVector<MutableArrayRef<Value>> rows;
    for (int64_t i = 0; i < mTiles; ++i)
      rows.push_back(tileOf(acc, i));
    for (int64_t k0 = 0; k0 < C; k0 += 16) {
      SmallVector<SmallVector<Value>> a;
      for (int64_t i = 0; i < mTiles; ++i) {
        a.push_back(loadA(kb, {ks, /*transposed=*/true}, stateRow(i),
                          kb.add(cur, kb.idx(k0))));
        if (decayKeys)
          a.back() = mapA(kb, a.back(), [&](Value x, int64_t c) {
            return kb.fmul(x, decays->key[i][0][k0 / 16][c]);
          });
      }
      mmaAccumulateRows(kb, a, {vs}, kb.idx(k0), Value(), rows);
    }
    // S_{n+1} for the next chunk's W S (this chunk's reads of it ended at
    // the barrier above).
    for (int64_t i = 0; i < mTiles; ++i)
      storeAccumulators(kb, tileOf(acc, i), stateRow(i), ss);
    waitAsyncCopies(kb, group);
    kb.barrier();
    scf::YieldOp::create(b, loc, acc);
  }
  storeFinalStateAccumulators(loop.getResults(), tileRows, Value(), nTiles);
}

void SplitStateEmitter::emitOutputs() {
  // The split form's parallel pass: one block per (block of value columns,
  // batch * head, chunk of 16 * kDefaultWarps rows) computes the chunk's output
  // from the state that entered it (chunk_states),
  //   o = diag(e^b) Q S + (Q K^T (.) D) V,
  // as the softmax kernel does: warp w owns rows 16w..16w+15 and keeps their
  // output and scores in mma accumulators; the masked, decayed scores go
  // from the accumulators straight into the A operand of the P V product.
  OutputChunk chunk = beginOutputChunk();
  Value n = chunk.n, t0 = chunk.t0;
  SmemTile sb = chunk.state;
  Type f32 = kb.b().getF32Type();
  gcum = kb.allocTile(C, 1, f32);

  Value zero = kb.idx(0);
  Value bh = kb.add(kb.mul(bIdx, kb.idx(p.Hq)), hIdx);
  // The delta rule's values are the state pass's V_new.
  if (p.delta) {
    loadQK(t0);
    loadRowsToTile(kb, vs, args.lookup("v_new"), bh, t0, zero, v0,
                   p.numChunks() * C);
  } else {
    loadQKV(t0);
  }
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
  // (4 accumulators per n8 tile: tile t at o[4t..4t+3].)
  SmallVector<Value> o(4 * nO, kb.f32(0));
  SmallVector<Value> s(4 * nS, kb.f32(0));
  for (int64_t kk = 0; kk < p.Dk; kk += 16) {
    SmallVector<Value> a = loadA(kb, {qs}, m0, kb.idx(kk));
    mmaAccumulateRow(kb, a, {sb}, kb.idx(kk), o);
    mmaAccumulateRow(kb, a, {ks, /*transposed=*/true}, kb.idx(kk), s);
  }
  if (p.gate == GateKind::Scalar) {
    // The inter-chunk part decays by e^(b_i) in row i.
    Value decay[2] = {kb.fexp(gateAt(rows[0])), kb.fexp(gateAt(rows[1]))};
    for (int64_t t = 0; t < nO; ++t)
      for (int64_t e = 0; e < 4; ++e)
        o[4 * t + e] = kb.fmul(o[4 * t + e], decay[e / 2]);
  }
  // The causal mask and the decays D_ij = e^(b_i - b_j), j <= i.
  for (int64_t j = 0; j < nS; ++j)
    for (int64_t e = 0; e < 4; ++e) {
      Value row = rows[e / 2];
      Value col = kb.add(colBase, kb.idx(8 * j + e % 2));
      s[4 * j + e] = kb.select(kb.le(col, row),
                               kb.fmul(s[4 * j + e], decayBetween(row, col)),
                               kb.f32(0.0));
    }
  // O += P V.
  accumulateScoresTimesV(s, vs, o);
  storeOutputRows(t0, m0, o);
}

} // namespace

void mlir::attn::gpu_codegen::emitLinearStatesKernel(KernelBuilder &kb,
                                                     const GpuProblem &p,
                                                     const KernelArgs &args) {
  SplitStateEmitter emitter(kb, p, args);
  if (p.delta)
    emitter.emitDeltaStates(/*outputs=*/p.fusesOutputs());
  else
    emitter.emitStates();
}

void mlir::attn::gpu_codegen::emitLinearOutputKernel(KernelBuilder &kb,
                                                     const GpuProblem &p,
                                                     const KernelArgs &args) {
  SplitStateEmitter(kb, p, args).emitOutputs();
}
