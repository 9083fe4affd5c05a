//===- LinearSplitAsyncKernels.cpp - the split form on cp.async ------------===//
//
// Linear and scalar-gated attention's split form (LinearSplitKernels.cpp
// has the math) with its tile loads made latency tolerant
// (GpuProblem::splitCpAsync, the default): the state pass takes its
// chunks' K, V and gates through a ring of GpuProblem::stateStages chunks
// in shared memory, filled by cp.async a group per chunk, so that the
// copies of the next chunks are in flight while one computes; the output
// kernel copies its tiles in two groups and computes Q K^T while the second
// (the state and V) lands. The delta rule's output kernel is this one too,
// with V_new of its own state pass (LinearSplitKernels.cpp) as the values.
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

class AsyncSplitEmitter : public LinearFamilyEmitter {
public:
  AsyncSplitEmitter(KernelBuilder &kb, const GpuProblem &p,
                    const KernelArgs &args)
      : LinearFamilyEmitter(kb, p, args) {}

  /// The state pass; with `outputs` (GpuProblem::fusesOutputs) it also
  /// computes each chunk's outputs from the state in registers, and writes
  /// no chunk states.
  void emitStates(bool outputs);
  void emitOutputs();

};

void AsyncSplitEmitter::emitStates(bool outputs) {
  // The split form's sequential pass. Block (x, y, z) owns the state slice
  // of rows R z..R z + R - 1 (Dk; R = p.stateRows, 64 or all of Dk up to
  // 128) and columns BV x.. of head y, in the warps' mma accumulators for
  // the whole walk over the chunks: warp w holds rows 16w + 64i..
  // (m-tile i < R / 64) of the slice, all BV / 8 column tiles. Per chunk n:
  // the state entering it goes out (bf16) to chunk_states for the output
  // kernel, then S = diag(e^(b_C)) S + (phi(K) (.) e^(b_C - b))^T V, the
  // gate's b a scalar per token or (GLA) a vector per token and dimension.
  //
  // The chunks' K and V tiles (and gates) come through a ring of
  // p.stateStages slots in shared memory, chunk c in slot c % S: with bf16
  // inputs (and f32 gates) as cp.async copies, one commit group a chunk, so
  // that the copies of chunks n + 1 .. n + S - 1 are in flight while chunk
  // n computes (other types load synchronously into the same ring,
  // converting). One barrier a chunk: it follows the wait for chunk n's
  // copies, and orders the refill of the slot chunk n - 1 used after every
  // warp's reads of it. The feature map and the keys' decays are applied to
  // the A fragments of the K^T V product, in registers; each warp scans the
  // gates it needs itself, with shuffles.
  //
  // With `outputs` (one block of rows: R = Dk) the ring also holds Q, and
  // per chunk the entering state goes to shared memory instead (bf16, the B
  // operand of Q S) and warp w computes the chunk's output rows 16w.. as
  // the output kernel does, before the state moves on: a second barrier a
  // chunk, no chunk_states round trip through global memory.
  OpBuilder &b = kb.b();
  Location loc = kb.loc();
  BV = p.stateBlockV;
  bindBlock();
  const int64_t KR = p.stateRows, mTiles = KR / kStateRows,
                S = p.stateStages;
  assert(C == 64 && "a warp scans the chunk's gates two a lane");
  assert(KR % kStateRows == 0 && "whole 16-row tiles a warp");
  Value kd0 = kb.mul(gpu::BlockIdOp::create(b, loc, gpu::Dimension::z),
                     kb.idx(KR));
  bf16 = b.getBF16Type();
  Type f32 = b.getF32Type();
  const GateKind gate = p.gate;
  assert((!outputs || (KR == p.Dk && gate != GateKind::Vector)) &&
         "outputs need the whole state and a scalar gate at most");
  ks = kb.allocTile(S * C, KR, bf16);
  vs = kb.allocTile(S * C, BV, bf16);
  SmemTile stateTile;
  if (outputs) {
    qs = kb.allocTile(S * C, p.Dk, bf16);
    stateTile = kb.allocTile(p.Dk, BV, bf16);
  }
  // Scalar gates: a row of C a slot; vector gates: C x KR a slot.
  SmemTile gs = gate == GateKind::Scalar   ? kb.allocTile(S, C, f32)
                : gate == GateKind::Vector ? kb.allocTile(S * C, KR, f32)
                                           : SmemTile();

  const int64_t nTiles = BV / 8;
  // The warp's m-tile i: rows tileRows[i] of the slice, accumulators
  // acc[4 nTiles i ..].
  Value m0 = kb.mul(kb.warpId(), kb.idx(16));
  SmallVector<Value> tileRows;
  for (int64_t i = 0; i < mTiles; ++i)
    tileRows.push_back(kb.add(m0, kb.idx(kStateRows * i)));
  auto tileOf = [&](MutableArrayRef<Value> acc, int64_t i) {
    return acc.slice(i * 4 * nTiles, 4 * nTiles);
  };
  SmallVector<Value> init = initialStateAccumulators(tileRows, kd0, nTiles);

  Value zero = kb.idx(0);
  Value kIn = args.lookup("k"), vIn = args.lookup("v"), gIn = args.lookup("g");
  // Issues the loads of chunk c (zeros past T) into its slot; returns their
  // commit group (null when the loads were synchronous).
  auto issue = [&](Value c) -> Value {
    Value t0 = kb.mul(c, kb.idx(C));
    Value slot = kb.rem(c, kb.idx(S));
    Value row0 = kb.mul(slot, kb.idx(C));
    SmallVector<Value> tokens =
        fetchRowsToTile(kb, ks, row0, C, kIn, bIdx, t0, hkv, kd0, p.Tq);
    tokens.append(
        fetchRowsToTile(kb, vs, row0, C, vIn, bIdx, t0, hkv, v0, p.Tq));
    if (outputs)
      tokens.append(fetchRowsToTile(kb, qs, row0, C, args.lookup("q"), bIdx,
                                    t0, hIdx, zero, p.Tq));
    if (gate == GateKind::Scalar)
      fetchStepsToRow(kb, gs, slot, C, gIn, bIdx, t0, hIdx, p.Tq,
                      !tokens.empty());
    if (gate == GateKind::Vector)
      tokens.append(
          fetchRowsToTile(kb, gs, row0, C, gIn, bIdx, t0, hIdx, kd0, p.Tq));
    return tokens.empty() ? Value() : commitAsyncCopies(kb, tokens);
  };
  Value group;
  for (int64_t c = 0; c + 1 < S; ++c)
    group = issue(kb.idx(c));

  Value states = args.lookup("chunk_states");
  Value bh = kb.add(kb.mul(bIdx, kb.idx(p.Hq)), hIdx);
  auto loop = scf::ForOp::create(b, loc, zero, kb.idx(p.numChunks()),
                                 kb.idx(1), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value n = loop.getInductionVar();
    SmallVector<Value> acc(loop.getRegionIterArgs());
    // Chunk n has landed once at most S - 2 younger groups are in flight.
    if (group)
      waitAsyncCopies(kb, group, S - 2);
    kb.barrier();
    issue(kb.add(n, kb.idx(S - 1)));
    Value slot = kb.rem(n, kb.idx(S));
    Value cur = kb.mul(slot, kb.idx(C));
    std::optional<ScalarChunkGates> scalarGates;
    if (gate == GateKind::Scalar)
      scalarGates = scalarChunkGates(gs, slot);
    if (outputs) {
      // S_n to shared memory (its readers in chunk n - 1 have passed the
      // barrier above); the output rows' gates come from the warp's own
      // scan.
      for (int64_t i = 0; i < mTiles; ++i)
        storeAccumulators(kb, tileOf(acc, i), tileRows[i], stateTile);
      std::optional<LaneGates> gates;
      if (scalarGates)
        gates = laneGatesFromScan(*scalarGates, m0);
      kb.barrier();
      chunkOutputs(kb.mul(n, kb.idx(C)), m0, kb.add(cur, m0), cur, cur,
                   stateTile, gates ? &*gates : nullptr, [] {});
    } else {
      Value rows = kb.add(kb.mul(n, kb.idx(p.Dk)), kd0);
      for (int64_t i = 0; i < mTiles; ++i)
        storeStateRows(tileOf(acc, i), states, bh,
                       kb.add(rows, tileRows[i]));
    }
    std::optional<ChunkDecays> decays;
    if (scalarGates)
      decays = scalarGateDecays(*scalarGates, mTiles);
    if (gate == GateKind::Vector)
      decays = vectorGateDecays(gs, cur, tileRows);
    // Accumulator element e of a tile is in the lane's row e / 2.
    if (decays)
      for (int64_t i = 0; i < mTiles; ++i)
        for (auto [a, v] : llvm::enumerate(tileOf(acc, i)))
          v = kb.fmul(v, decays->state[i][(a % 4) / 2]);
    // S += (phi(K) (.) decay)^T V over the chunk, 16 steps at a time, each
    // V fragment pair loaded once for the warp's m-tiles.
    bool mapKeys = decays || p.featureMap != FeatureMap::Identity;
    SmallVector<MutableArrayRef<Value>> accRows;
    for (int64_t i = 0; i < mTiles; ++i)
      accRows.push_back(tileOf(acc, i));
    for (int64_t st = 0; st < C / 16; ++st) {
      Value kk = kb.add(cur, kb.idx(16 * st));
      SmallVector<SmallVector<Value>> afrags;
      for (int64_t i = 0; i < mTiles; ++i) {
        SmallVector<Value> afrag =
            loadA(kb, {ks, /*transposed=*/true}, tileRows[i], kk);
        if (mapKeys)
          afrag = mapAByRow(kb, afrag, [&](Value x, int64_t r, int64_t c) {
            x = featureMap(kb, x, p.featureMap);
            return decays ? kb.fmul(x, decays->key[i][r][st][c]) : x;
          });
        afrags.push_back(afrag);
      }
      mmaAccumulateRows(kb, afrags, {vs}, kk, Value(), accRows);
    }
    scf::YieldOp::create(b, loc, acc);
  }
  // The copies of the chunks past the end (zeros) land before the block
  // exits.
  if (group)
    waitAsyncCopies(kb, group, 0);
  storeFinalStateAccumulators(loop.getResults(), tileRows, kd0, nTiles);
}

void AsyncSplitEmitter::emitOutputs() {
  // The split form's parallel pass: one block per (block of value columns,
  // batch * head, chunk of 16 * kDefaultWarps rows) computes the chunk's output
  // from the state that entered it (chunk_states),
  //   o = diag(e^b) (scale phi(Q)) S + (scale phi(Q) phi(K)^T (.) D) V,
  // as the softmax kernel does: warp w owns rows 16w..16w+15 and keeps their
  // output and scores in mma accumulators; the masked, decayed scores go
  // from the accumulators straight into the A operand of the P V product.
  // The tiles come by cp.async (bf16 inputs) in two groups: Q and K, then
  // the state and V, which land while Q K^T computes. The scale is applied
  // to the products (cp.async cannot), the feature map in place once Q and
  // K have landed.
  OutputChunk chunk = beginOutputChunk();
  Value n = chunk.n, t0 = chunk.t0;
  SmemTile sb = chunk.state;
  gcum = kb.allocTile(C, 1, kb.b().getF32Type());

  Value zero = kb.idx(0);
  Value bh = kb.add(kb.mul(bIdx, kb.idx(p.Hq)), hIdx);
  auto commit = [&](ArrayRef<Value> tokens) {
    return tokens.empty() ? Value() : commitAsyncCopies(kb, tokens);
  };
  SmallVector<Value> qk = fetchRowsToTile(kb, qs, zero, C, args.lookup("q"),
                                          bIdx, t0, hIdx, zero, p.Tq);
  qk.append(fetchRowsToTile(kb, ks, zero, C, args.lookup("k"), bIdx, t0, hkv,
                            zero, p.Tq));
  Value qkGroup = commit(qk);
  SmallVector<Value> sv = fetchRowsToTile(
      kb, sb, zero, p.Dk, args.lookup("chunk_states"), bh,
      kb.mul(n, kb.idx(p.Dk)), zero, v0, p.numChunks() * p.Dk);
  // The delta rule's values are the state pass's V_new.
  sv.append(p.delta ? fetchRowsToTile(kb, vs, zero, C, args.lookup("v_new"),
                                      bh, t0, zero, v0, p.numChunks() * C)
                    : fetchRowsToTile(kb, vs, zero, C, args.lookup("v"), bIdx,
                                      t0, hkv, v0, p.Tq));
  Value svGroup = commit(sv);
  if (p.gate == GateKind::Scalar)
    cumulativeGate(t0);
  if (qkGroup)
    waitAsyncCopies(kb, qkGroup, svGroup ? 1 : 0);
  kb.barrier();
  Value m0 = kb.mul(kb.warpId(), kb.idx(16));
  std::optional<LaneGates> gates;
  if (p.gate == GateKind::Scalar)
    gates = laneGatesFromShared(m0);
  if (p.featureMap != FeatureMap::Identity) {
    auto phi = [&](Value x) { return featureMap(kb, x, p.featureMap); };
    mapTileInPlace(kb, qs, phi);
    mapTileInPlace(kb, ks, phi);
    kb.barrier();
  }

  chunkOutputs(t0, m0, m0, zero, zero, sb, gates ? &*gates : nullptr, [&] {
                 if (svGroup) {
                   waitAsyncCopies(kb, svGroup, 0);
                   kb.barrier();
                 }
               });
}

} // namespace

void mlir::attn::gpu_codegen::emitLinearStatesAsyncKernel(
    KernelBuilder &kb, const GpuProblem &p, const KernelArgs &args) {
  AsyncSplitEmitter(kb, p, args).emitStates(/*outputs=*/false);
}

void mlir::attn::gpu_codegen::emitLinearOutputAsyncKernel(
    KernelBuilder &kb, const GpuProblem &p, const KernelArgs &args) {
  AsyncSplitEmitter(kb, p, args).emitOutputs();
}

void mlir::attn::gpu_codegen::emitLinearStateOutputsKernel(
    KernelBuilder &kb, const GpuProblem &p, const KernelArgs &args) {
  AsyncSplitEmitter(kb, p, args).emitStates(/*outputs=*/true);
}
