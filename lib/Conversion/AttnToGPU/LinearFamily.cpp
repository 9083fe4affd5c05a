//===- LinearFamily.cpp - what the linear-family GPU kernels share --------===//
#include "LinearFamily.h"
#include "TileMma.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::gpu_codegen;

Value mlir::attn::gpu_codegen::featureMap(KernelBuilder &kb, Value x,
                                         FeatureMap fm) {
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

void LinearFamilyEmitter::bindBlock() {
  OpBuilder &b = kb.b();
  Location loc = kb.loc();
  Value bx = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  bindBatchHead(gpu::BlockIdOp::create(b, loc, gpu::Dimension::y));
  v0 = kb.mul(bx, kb.idx(BV));
}

void LinearFamilyEmitter::bindBatchHead(Value by) {
  bIdx = kb.div(by, kb.idx(p.Hq));
  hIdx = kb.rem(by, kb.idx(p.Hq));
  hkv = kb.div(hIdx, kb.idx(p.Hq / p.Hkv));
}

void LinearFamilyEmitter::loadQKV(Value t0) {
  // phi(q) scale, phi(k), and v's columns v0.. of the chunk's rows.
  loadQK(t0);
  loadRowsToTile(kb, vs, args.lookup("v"), bIdx, t0, hkv, v0, p.Tq);
}

void LinearFamilyEmitter::loadQK(Value t0) {
  Value zero = kb.idx(0);
  loadRowsToTile(kb, qs, args.lookup("q"), bIdx, t0, hIdx, zero, p.Tq,
                 [&](Value x) {
                   return kb.fmul(featureMap(kb, x, p.featureMap),
                                  kb.f32(p.scale));
                 });
  loadRowsToTile(kb, ks, args.lookup("k"), bIdx, t0, hkv, zero, p.Tq,
                 [&](Value x) { return featureMap(kb, x, p.featureMap); });
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
    scanGateColumns(gcum);
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

void LinearFamilyEmitter::storeStateRows(ArrayRef<Value> acc, Value states,
                                         Value bh, Value row0) {
  Value zero = kb.idx(0);
  int64_t nTiles = acc.size() / 4;
  if (nTiles % 4 == 0) {
    storeAccumulatorRows(kb, acc, states, [&](Value r, Value c) {
      return SmallVector<Value>{bh, kb.add(row0, r), zero, kb.add(v0, c)};
    });
    return;
  }
  forEachAccumulator(kb, kb.idx(0), nTiles, [&](int64_t a, Value r, Value c) {
    if (a % 2 == 0)
      storePair(kb, acc[a], acc[a + 1], states,
                {bh, kb.add(row0, r), zero, kb.add(v0, c)});
  });
}

Value LinearFamilyEmitter::decayBetween(Value i, Value j) {
  if (p.gate == GateKind::None)
    return kb.f32(1.0);
  return kb.fexp(kb.fsub(gateAt(i), gateAt(j)));
}

void LinearFamilyEmitter::scanGateColumns(SmemTile t) {
  // Each column is cut into `segs` segments of `len` rows, one thread a
  // segment: the thread loads its segment into registers (all loads in
  // flight at once), scans it there, and adds the totals of the segments
  // above it, read back from shared memory after a barrier.
  int64_t rows = t.rows, cols = t.cols;
  auto scanSegment = [&](Value d, Value r0, int64_t len) {
    SmallVector<Value> x;
    for (int64_t i = 0; i < len; ++i)
      x.push_back(kb.load(t.mem, {kb.add(r0, kb.idx(i)), d}));
    for (int64_t i = 1; i < len; ++i)
      x[i] = kb.fadd(x[i - 1], x[i]);
    return x;
  };
  auto storeSegment = [&](ArrayRef<Value> x, Value d, Value r0, Value off) {
    for (auto [i, v] : llvm::enumerate(x))
      kb.store(off ? kb.fadd(v, off) : v, t.mem,
               {kb.add(r0, kb.idx(int64_t(i))), d});
  };
  if (cols > kb.threads()) {
    kb.forRange(kb.threadId(), kb.idx(cols), kb.threads(), [&](Value d) {
      storeSegment(scanSegment(d, kb.idx(0), rows), d, kb.idx(0), Value());
    });
    kb.barrier();
    return;
  }
  int64_t segs = 1;
  while (2 * segs * cols <= kb.threads() && 2 * segs <= rows && rows % (2 * segs) == 0)
    segs *= 2;
  int64_t len = rows / segs;
  Value tid = kb.threadId();
  Value active = kb.lt(tid, kb.idx(segs * cols));
  // Idle threads (tid >= segs * cols) load a valid segment and store nothing.
  Value d = kb.rem(tid, kb.idx(cols));
  Value seg = kb.minIdx(kb.div(tid, kb.idx(cols)), kb.idx(segs - 1));
  Value r0 = kb.mul(seg, kb.idx(len));
  SmallVector<Value> x = scanSegment(d, r0, len);
  kb.ifThen(active, [&] { storeSegment(x, d, r0, Value()); });
  kb.barrier();
  if (segs == 1)
    return;
  Value offset = kb.f32(0.0);
  for (int64_t s = 0; s + 1 < segs; ++s) {
    Value total = kb.load(t.mem, {kb.idx((s + 1) * len - 1), d});
    offset = kb.fadd(offset, kb.select(kb.lt(kb.idx(s), seg), total,
                                       kb.f32(0.0)));
  }
  kb.barrier();
  kb.ifThen(kb.andI1(active, kb.lt(kb.idx(0), seg)),
            [&] { storeSegment(x, d, r0, offset); });
  kb.barrier();
}

/// The index `x` as the i32 a shuffle takes.
static Value asI32(KernelBuilder &kb, Value x) {
  return arith::IndexCastOp::create(kb.b(), kb.loc(), kb.b().getI32Type(), x);
}

/// Lane `src`'s `x` (a warp shuffle).
static Value fromLane(KernelBuilder &kb, Value x, Value src) {
  return gpu::ShuffleOp::create(kb.b(), kb.loc(), x, asI32(kb, src),
                                asI32(kb, kb.idx(32)), gpu::ShuffleMode::IDX)
      .getShuffleResult();
}

/// One step of an inclusive scan across lanes: x plus the x of the lane
/// `offset` below, where this lane's position `pos` in the scanned group is
/// at least `offset`.
static Value addFromBelow(KernelBuilder &kb, Value x, int32_t offset, Value pos) {
  Value up = gpu::ShuffleOp::create(kb.b(), kb.loc(), x, offset, 32,
                                    gpu::ShuffleMode::UP)
                 .getShuffleResult();
  return kb.fadd(x, kb.select(kb.le(kb.idx(offset), pos), up, kb.f32(0.0)));
}

std::pair<Value, Value> LinearFamilyEmitter::scanChunkGates(SmemTile gates,
                                                            Value slot) {
  assert(C == 64 && "two gates a lane");
  // Lane l scans gates 2l and 2l + 1 of the chunk: b_2l, b_2l+1.
  Value lane = kb.laneId();
  Value g0 = kb.load(gates.mem, {slot, kb.mul(lane, kb.idx(2))});
  Value g1 = kb.load(gates.mem,
                     {slot, kb.add(kb.mul(lane, kb.idx(2)), kb.idx(1))});
  Value pairSum = kb.fadd(g0, g1), inclusive = pairSum;
  for (int32_t offset = 1; offset < 32; offset *= 2)
    inclusive = addFromBelow(kb, inclusive, offset, lane);
  return {kb.fadd(kb.fsub(inclusive, pairSum), g0), inclusive};
}

LinearFamilyEmitter::LaneGates
LinearFamilyEmitter::laneGatesFromScan(const ScalarChunkGates &gates,
                                       Value m0) {
  auto [bEven, bOdd] = gates.scan;
  Value lane = kb.laneId();
  LaneGates g;
  // Row token m0 + l/4 + 8r is element (l/4) % 2 of lane (m0 + l/4)/2 + 4r.
  Value rowLane = kb.div(kb.add(m0, kb.div(lane, kb.idx(4))), kb.idx(2));
  Value odd = kb.eq(kb.rem(kb.div(lane, kb.idx(4)), kb.idx(2)), kb.idx(1));
  for (int64_t r = 0; r < 2; ++r) {
    Value src = kb.add(rowLane, kb.idx(4 * r));
    g.row[r] = kb.select(odd, fromLane(kb, bOdd, src),
                         fromLane(kb, bEven, src));
  }
  g.col = gates.columns;
  return g;
}

LinearFamilyEmitter::LaneGates
LinearFamilyEmitter::laneGatesFromShared(Value m0) {
  Value lane = kb.laneId();
  Value rowA = kb.add(m0, kb.div(lane, kb.idx(4)));
  Value colBase = kb.mul(kb.rem(lane, kb.idx(4)), kb.idx(2));
  LaneGates g;
  g.row = {gateAt(rowA), gateAt(kb.add(rowA, kb.idx(8)))};
  for (int64_t j = 0; j < C / 8; ++j) {
    Value col = kb.add(colBase, kb.idx(8 * j));
    g.col.push_back({gateAt(col), gateAt(kb.add(col, kb.idx(1)))});
  }
  return g;
}

LinearFamilyEmitter::ScalarChunkGates
LinearFamilyEmitter::scalarChunkGates(SmemTile gates, Value slot) {
  Value lane = kb.laneId();
  ScalarChunkGates g;
  g.scan = scanChunkGates(gates, slot);
  auto [bEven, bOdd] = g.scan;
  g.last = fromLane(kb, bOdd, kb.idx(31));
  // Token 8j + 2(l%4) + e is element e of lane 4j + l%4.
  for (int64_t j = 0; j < C / 8; ++j) {
    Value src = kb.add(kb.idx(4 * j), kb.rem(lane, kb.idx(4)));
    g.columns.push_back({fromLane(kb, bEven, src), fromLane(kb, bOdd, src)});
  }
  return g;
}

LinearFamilyEmitter::ChunkDecays
LinearFamilyEmitter::scalarGateDecays(const ScalarChunkGates &g,
                                    int64_t mTiles) {
  // Every decay here is at most 1: flushing those under 2^-126 to zero
  // loses nothing.
  Value chunkDecay = kb.fexp(g.last, /*ftz=*/true);
  // Column c of k-step s of A is token 16s + 2(l%4) + 8(c/2) + c%2.
  SmallVector<std::array<Value, 4>> perStep;
  for (int64_t st = 0; st < C / 16; ++st) {
    std::array<Value, 4> d;
    for (int64_t c = 0; c < 4; ++c)
      d[c] = kb.fexp(kb.fsub(g.last, g.columns[2 * st + c / 2][c % 2]),
                     /*ftz=*/true);
    perStep.push_back(d);
  }
  ChunkDecays out;
  for (int64_t i = 0; i < mTiles; ++i) {
    out.state.push_back({chunkDecay, chunkDecay});
    out.key.push_back({perStep, perStep});
  }
  return out;
}

LinearFamilyEmitter::ChunkDecays
LinearFamilyEmitter::vectorGateDecays(SmemTile gates, Value cur,
                                    ArrayRef<Value> tileRows) {
  // The lane's A elements of k-step s are the tokens 16s + 8h + 2q + e
  // (q = l % 4; h, e in {0, 1}) of its two rows (dimensions): token group
  // G = 2s + h of 8 tokens is spread over the lane's quad, a pair each.
  // Per row, the suffix sum after token j (b_C - b_j) is the gates of the
  // later groups, of the quad's later lanes in group G, and of the pair's
  // second token when e = 0: scans across the quad by shuffles, no
  // barrier, no shared scratch.
  Value lane = kb.laneId();
  Value q = kb.rem(lane, kb.idx(4));
  Value quadLast = kb.add(kb.sub(lane, q), kb.idx(3));
  const int64_t groups = C / 8;
  ChunkDecays out;
  for (Value m0 : tileRows) {
    std::array<Value, 2> state;
    std::array<SmallVector<std::array<Value, 4>>, 2> key;
    for (int64_t r = 0; r < 2; ++r) {
      Value d = kb.add(m0, kb.add(kb.div(lane, kb.idx(4)), kb.idx(8 * r)));
      SmallVector<Value> second(groups), lanesAfter(groups), total(groups);
      for (int64_t g = 0; g < groups; ++g) {
        Value t = kb.add(cur, kb.add(kb.idx(8 * g), kb.mul(q, kb.idx(2))));
        Value g0 = kb.load(gates.mem, {t, d});
        second[g] = kb.load(gates.mem, {kb.add(t, kb.idx(1)), d});
        Value inclusive = kb.fadd(g0, second[g]);
        for (int32_t offset = 1; offset < 4; offset *= 2)
          inclusive = addFromBelow(kb, inclusive, offset, q);
        total[g] = fromLane(kb, inclusive, quadLast);
        lanesAfter[g] = kb.fsub(total[g], inclusive);
      }
      Value later = kb.f32(0.0);
      SmallVector<Value> after(groups); // the gates of groups > g
      for (int64_t g = groups - 1; g >= 0; --g) {
        after[g] = later;
        later = kb.fadd(later, total[g]);
      }
      state[r] = kb.fexp(later);
      for (int64_t st = 0; st < C / 16; ++st) {
        std::array<Value, 4> dec;
        for (int64_t h = 0; h < 2; ++h) {
          int64_t g = 2 * st + h;
          Value odd = kb.fadd(after[g], lanesAfter[g]);
          dec[2 * h] = kb.fexp(kb.fadd(odd, second[g]));
          dec[2 * h + 1] = kb.fexp(odd);
        }
        key[r].push_back(dec);
      }
    }
    out.state.push_back(state);
    out.key.push_back(key);
  }
  return out;
}

void LinearFamilyEmitter::accumulateScoresTimesV(ArrayRef<Value> s,
                                                 SmemTile v,
                                                 MutableArrayRef<Value> o) {
  // The accumulators of each 16 columns of P are the A fragment of the
  // k16 step over those rows of V.
  for (int64_t kk = 0; kk < C / 16; ++kk) {
    SmallVector<Value> a =
        accumulatorsAsA(kb, s.slice(8 * kk, 4), s.slice(8 * kk + 4, 4));
    mmaAccumulateRow(kb, a, {v}, kb.idx(16 * kk), o);
  }
}

void LinearFamilyEmitter::storeOutputRows(Value t0, Value m0,
                                          ArrayRef<Value> o) {
  // Rows past T are not stored.
  Value out = args.lookup("o");
  Type outTy = cast<MemRefType>(out.getType()).getElementType();
  int64_t nO = o.size() / 4;
  Value rowA = kb.add(m0, kb.div(kb.laneId(), kb.idx(4)));
  Value rows[2] = {rowA, kb.add(rowA, kb.idx(8))};
  Value colBase = kb.mul(kb.rem(kb.laneId(), kb.idx(4)), kb.idx(2));
  for (int r = 0; r < 2; ++r) {
    Value t = kb.add(t0, rows[r]);
    kb.ifThen(kb.lt(t, kb.idx(p.Tq)), [&] {
      for (int64_t tile = 0; tile < nO; ++tile)
        for (int64_t e = 2 * r; e < 2 * r + 2; ++e) {
          Value col = kb.add(v0, kb.add(colBase, kb.idx(8 * tile + e % 2)));
          kb.store(kb.fromF32(o[4 * tile + e], outTy), out,
                   {bIdx, t, hIdx, col});
        }
    });
  }
}

SmallVector<Value> LinearFamilyEmitter::initialStateAccumulators(
    ArrayRef<Value> tileRows, Value rowOffset, int64_t nTiles) {
  SmallVector<Value> init(tileRows.size() * 4 * nTiles);
  Value s0 = args.lookup("initial_state");
  for (size_t i = 0; i < tileRows.size(); ++i)
    forEachAccumulator(kb, tileRows[i], nTiles, [&](int64_t a, Value r,
                                                    Value c) {
      Value &x = init[i * 4 * nTiles + a];
      if (!s0) {
        x = kb.f32(0.0);
        return;
      }
      Value row = rowOffset ? kb.add(rowOffset, r) : r;
      x = kb.toF32(kb.load(s0, {bIdx, hIdx, row, kb.add(v0, c)}));
    });
  return init;
}

void LinearFamilyEmitter::storeFinalStateAccumulators(ValueRange acc,
                                                      ArrayRef<Value> tileRows,
                                                      Value rowOffset,
                                                      int64_t nTiles) {
  Value fin = args.lookup("final_state");
  if (!fin)
    return;
  Type finTy = cast<MemRefType>(fin.getType()).getElementType();
  for (size_t i = 0; i < tileRows.size(); ++i)
    forEachAccumulator(kb, tileRows[i], nTiles, [&](int64_t a, Value r,
                                                    Value c) {
      Value row = rowOffset ? kb.add(rowOffset, r) : r;
      kb.store(kb.fromF32(acc[i * 4 * nTiles + a], finTy), fin,
               {bIdx, hIdx, row, kb.add(v0, c)});
    });
}

LinearFamilyEmitter::OutputChunk LinearFamilyEmitter::beginOutputChunk() {
  BV = p.outputBlockV();
  bindBlock();
  OutputChunk c;
  c.n = gpu::BlockIdOp::create(kb.b(), kb.loc(), gpu::Dimension::z);
  c.t0 = kb.mul(c.n, kb.idx(C));
  bf16 = kb.b().getBF16Type();
  qs = kb.allocTile(C, p.Dk, bf16);
  ks = kb.allocTile(C, p.Dk, bf16);
  vs = kb.allocTile(C, BV, bf16);
  c.state = kb.allocTile(p.Dk, BV, bf16);
  return c;
}

void LinearFamilyEmitter::chunkOutputs(Value t0, Value m0, Value qRow,
                                       Value kRow, Value vRow, SmemTile state,
                                       const LaneGates *gates,
                                       function_ref<void()> beforeState,
                                       function_ref<void()> beforeValues) {
  const int64_t nO = BV / 8, nS = C / 8;
  // The lane's two rows (accumulator elements 0-1 and 2-3) in the chunk.
  Value rowA = kb.add(m0, kb.div(kb.laneId(), kb.idx(4)));
  Value rows[2] = {rowA, kb.add(rowA, kb.idx(8))};
  Value colBase = kb.mul(kb.rem(kb.laneId(), kb.idx(4)), kb.idx(2));
  Value scale = kb.f32(p.scale);

  // S = Q K^T (4 accumulators per n8 tile: tile t at s[4t..4t+3]), then the
  // causal mask, the scale and the decays D_ij = e^(b_i - b_j), j <= i
  // (at most 1 where kept: ftz loses nothing).
  SmallVector<Value> s(4 * nS, kb.f32(0));
  for (int64_t kk = 0; kk < p.Dk; kk += 16)
    mmaAccumulateRows(kb, {loadA(kb, {qs}, qRow, kb.idx(kk))},
                      {ks, /*transposed=*/true}, kb.idx(kk), kRow, {s});
  for (int64_t j = 0; j < nS; ++j)
    for (int64_t e = 0; e < 4; ++e) {
      Value row = rows[e / 2];
      Value col = kb.add(colBase, kb.idx(8 * j + e % 2));
      Value x = kb.fmul(s[4 * j + e], scale);
      if (gates)
        x = kb.fmul(x, kb.fexp(kb.fsub(gates->row[e / 2], gates->col[j][e % 2]),
                               /*ftz=*/true));
      s[4 * j + e] = kb.select(kb.le(col, row), x, kb.f32(0.0));
    }

  // O = Q S_n, decayed by scale e^(b_i) in row i; then O += P V.
  beforeState();
  SmallVector<Value> o(4 * nO, kb.f32(0));
  for (int64_t kk = 0; kk < p.Dk; kk += 16)
    mmaAccumulateRow(kb, loadA(kb, {qs}, qRow, kb.idx(kk)), {state},
                     kb.idx(kk), o);
  Value decay[2] = {scale, scale};
  if (gates)
    for (int r = 0; r < 2; ++r)
      decay[r] = kb.fmul(scale, kb.fexp(gates->row[r], /*ftz=*/true));
  for (int64_t t = 0; t < nO; ++t)
    for (int64_t e = 0; e < 4; ++e)
      o[4 * t + e] = kb.fmul(o[4 * t + e], decay[e / 2]);
  if (beforeValues)
    beforeValues();
  for (int64_t kk = 0; kk < C / 16; ++kk) {
    SmallVector<Value> a = accumulatorsAsA(
        kb, ArrayRef<Value>(s).slice(8 * kk, 4),
        ArrayRef<Value>(s).slice(8 * kk + 4, 4));
    mmaAccumulateRow(kb, a, {vs}, kb.add(vRow, kb.idx(16 * kk)), o);
  }
  // Rows past T are not stored; adjacent columns go out as one store.
  Value out = args.lookup("o");
  for (int r = 0; r < 2; ++r) {
    Value t = kb.add(t0, rows[r]);
    kb.ifThen(kb.lt(t, kb.idx(p.Tq)), [&] {
      for (int64_t tile = 0; tile < nO; ++tile) {
        Value col = kb.add(v0, kb.add(colBase, kb.idx(8 * tile)));
        storePair(kb, o[4 * tile + 2 * r], o[4 * tile + 2 * r + 1], out,
                  {bIdx, t, hIdx, col});
      }
    });
  }
}
