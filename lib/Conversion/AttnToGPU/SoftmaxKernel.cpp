//===- SoftmaxKernel.cpp - FlashAttention-2/3 style GPU kernel ------------===//
//
// One thread block owns (query block of BM rows, batch b, head h); warp w owns
// query rows WR w..WR w + WR - 1 (WR = GpuProblem::softmaxWarpRows: 32, or
// 16 where the accumulators would not fit the registers), as WR / 16 mma row
// tiles, and keeps everything of them in registers: their WR x BN score
// tiles S = Q K^T (mma accumulators), the running max m and sum l of each
// row, and their WR x Dv output accumulators O. Every K and V fragment the
// warp loads with ldmatrix serves all its row tiles, so shared-memory
// traffic per query row falls with WR (the bottleneck at WR = 16:
// bench/gpu/NOTES.md). Per key block of BN keys, staged in shared memory by
// the whole block (with bf16 inputs by cp.async into two buffers, the next
// block's copies in flight while this one computes): S on the tensor cores,
// the online-softmax update on the accumulators (row max across the 4 lanes
// that share a row by shuffles), P = exp2(S - m) rounded to bf16 straight
// into the A-operand registers of O += P V (the accumulator layout of two
// adjacent n8 tiles is the A layout of one k16 step), and O = diag(alpha) O.
//
// On sm_90a with bf16 inputs and head dim 128 (softmaxUsesWgmma) the
// block is two warpgroups of 16-row warps (128 query rows, so that each K
// and V tile staged serves as many queries as on mma.sync) and both
// products are warpgroup MMAs (WarpgroupMma.h): A from registers (Q's
// fragments, loaded once; P as above), K and V read by the tensor cores
// from shared memory in core-matrix tiles that cp.async fills through
// three buffers. As in FlashAttention-3, a warpgroup's softmax of key
// block n runs while the tensor cores do its P V of block n - 1: per
// block, issue S_n = Q K_n^T and O += P_{n-1} V_{n-1}, wait for S_n, the
// softmax, wait for O, rescale it.
//
// Key blocks no query of the block sees (causal, sliding window) are
// skipped. Query t sits at key position t + (Tk - Tq) (decode: the last Tq
// positions).
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"
#include "TileMma.h"
#include "WarpgroupMma.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::gpu_codegen;

namespace {

/// Lazy rescaling (FlashAttention-4's): a row's softmax reference moves
/// only once its max has outgrown it by more than kRescaleSlack powers of
/// 2 (false: every block, the eager form).
constexpr bool kLazyRescale = true;
constexpr double kRescaleSlack = 8.0;
constexpr double kNegInf = -std::numeric_limits<double>::infinity();

/// The reduction of `x` over the 4 lanes that hold one accumulator row.
Value quadReduce(KernelBuilder &kb, Value x, bool isMax) {
  for (int32_t offset : {1, 2}) {
    Value other = gpu::ShuffleOp::create(kb.b(), kb.loc(), x, offset, 32,
                                         gpu::ShuffleMode::XOR)
                      .getShuffleResult();
    x = isMax ? kb.fmax(x, other) : kb.fadd(x, other);
  }
  return x;
}

/// Mutable views of the row tiles of a flat accumulator array (`perTile`
/// values a tile).
SmallVector<MutableArrayRef<Value>> rowTiles(MutableArrayRef<Value> flat,
                                             int64_t tiles, int64_t perTile) {
  SmallVector<MutableArrayRef<Value>> out;
  for (int64_t i = 0; i < tiles; ++i)
    out.push_back(flat.slice(i * perTile, perTile));
  return out;
}

/// One key block's online-softmax step of the warp's rows: the new
/// references m and partial sums l (2 per row tile), the factors alpha
/// that O's rows take, and, with lazy rescaling, whether the warp moved its
/// references (null: always).
struct SoftmaxStep {
  SmallVector<Value> m, l, alpha;
  Value rescale;
};

class SoftmaxEmitter {
public:
  SoftmaxEmitter(KernelBuilder &kb, const GpuProblem &p,
                 const KernelArgs &args);
  void emit();

private:
  /// Issues the copies of key block `blk` (all zeros unless `enable`) into
  /// the buffer at row `row0`.
  SmallVector<Value> copyKeyBlock(Value blk, Value row0, Value enable);
  /// Landed copies become visible to every thread, and to the tensor cores'
  /// reads (wgmma reads shared memory through the async proxy), at the
  /// barrier this ends with.
  void landed(Value group);
  /// Masks the scores of key block k0.. that the warp's rows do not see
  /// (only in blocks some query of the block cannot fully see: one uniform
  /// branch), and scales them unless the scale folds into the exponent.
  void maskScores(MutableArrayRef<Value> s, Value k0);
  /// Turns the scores `s` into P = exp2(scale S - ref) in place.
  SoftmaxStep softmax(MutableArrayRef<Value> s, ArrayRef<Value> mOld,
                      ArrayRef<Value> lOld);
  /// O = diag(alpha) O (with lazy rescaling only when the warp moved its
  /// references).
  void rescale(MutableArrayRef<Value> o, const SoftmaxStep &step);
  /// P's bf16 A fragments of row tile i, one per k16 step over the keys.
  SmallVector<SmallVector<Value>> pFragments(MutableArrayRef<Value> s,
                                             int64_t i);
  /// o = O / l (l summed over the row's 4 lanes); a query that saw no key
  /// gets 0.
  void storeOutputs(ArrayRef<Value> o, ArrayRef<Value> l);

  /// The walk over the key blocks on mma.sync, and on warpgroup MMA.
  void emitMmaLoop();
  void emitWgmmaLoop();

  KernelBuilder &kb;
  const GpuProblem &p;
  const KernelArgs &args;
  int64_t WR, MT, BM, BN, nS, nO, offset;
  bool wgmma, pipelined, foldScale;
  double scaleLog2;
  Value zero, bIdx, hIdx, hkv, q0, m0, qIn, kIn, vIn, first, end, colBase;
  // The lane's rows: rows[i][0] and rows[i][1] in row tile i (accumulator
  // elements 0-1 and 2-3).
  SmallVector<std::array<Value, 2>> rows;
  SmemTile qs, ks, vs;
  CoreMatrixTile kc, vc;
};

SoftmaxEmitter::SoftmaxEmitter(KernelBuilder &kb, const GpuProblem &p,
                               const KernelArgs &args)
    : kb(kb), p(p), args(args) {
  OpBuilder &b = kb.b();
  Location loc = kb.loc();
  WR = p.softmaxWarpRows();
  MT = WR / 16;
  BM = p.softmaxBlockRows();
  BN = p.chunk;
  nS = BN / 8;
  nO = p.Dv / 8;
  offset = p.Tk - p.Tq;
  scaleLog2 = p.scale * M_LOG2E;
  foldScale = scaleLog2 > 0;
  zero = kb.idx(0);

  Value bx = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  Value by = gpu::BlockIdOp::create(b, loc, gpu::Dimension::y);
  bIdx = kb.div(by, kb.idx(p.Hq));
  hIdx = kb.rem(by, kb.idx(p.Hq));
  hkv = kb.div(hIdx, kb.idx(p.Hq / p.Hkv));
  // Causal query blocks run the longest (latest) first, so that the grid's
  // last wave is short blocks.
  Value qBlock = p.causal ? kb.sub(kb.idx(p.grid()[0] - 1), bx) : bx;
  q0 = kb.mul(qBlock, kb.idx(BM));
  m0 = kb.mul(kb.warpId(), kb.idx(WR)); // the warp's first row
  qIn = args.lookup("q");
  kIn = args.lookup("k");
  vIn = args.lookup("v");

  // bf16 inputs go straight to shared memory with cp.async, K and V in
  // several buffers: later blocks load while this one computes. Other input
  // types are converted on the way (synchronous loads, one buffer).
  const int64_t threads = kb.threads();
  pipelined = canCopyRowsAsync(BM, p.Dk, qIn, threads) &&
              canCopyRowsAsync(BN, p.Dk, kIn, threads) &&
              canCopyRowsAsync(BN, p.Dv, vIn, threads);
  // On sm_90a the products are warpgroup MMAs that read K and V straight
  // from shared memory, in the tensor cores' core-matrix layout (kc, vc),
  // three buffers (block n + 1 loads while P V of block n - 1 and Q K^T of
  // n read theirs); else ldmatrix reads them from padded row-major tiles
  // (ks, vs), two buffers.
  wgmma = p.softmaxUsesWgmma();
  assert((!wgmma || (pipelined && WR == 16)) && "wgmma: cp.async, 16 rows");
  Type bf16 = b.getBF16Type();
  if (wgmma) {
    // Q's A fragments come straight from global memory into the registers
    // they stay in for the whole walk: no Q tile.
    kc = allocCoreMatrixTile(kb, 3 * BN, p.Dk);
    vc = allocCoreMatrixTile(kb, 3 * BN, p.Dv);
  } else {
    const int64_t buffers = pipelined ? 2 : 1;
    qs = kb.allocTile(BM, p.Dk, bf16);
    ks = kb.allocTile(buffers * BN, p.Dk, bf16);
    vs = kb.allocTile(buffers * BN, p.Dv, bf16);
  }

  // Key blocks [first, end) that some query of this block sees.
  int64_t keyBlocks = (p.Tk + BN - 1) / BN;
  end = kb.idx(keyBlocks);
  first = zero;
  if (p.causal) {
    Value lastKey = kb.add(q0, kb.idx(BM - 1 + offset));
    Value e = kb.div(kb.add(lastKey, kb.idx(BN)), kb.idx(BN));
    end = arith::MaxSIOp::create(b, loc, kb.minIdx(e, end), zero);
    if (p.window > 0) {
      Value firstKey = arith::MaxSIOp::create(
          b, loc, kb.add(q0, kb.idx(offset - p.window + 1)), zero);
      first = kb.minIdx(kb.div(firstKey, kb.idx(BN)), end);
    }
  }

  for (int64_t i = 0; i < MT; ++i) {
    Value r = kb.add(kb.add(q0, kb.add(m0, kb.idx(16 * i))),
                     kb.div(kb.laneId(), kb.idx(4)));
    rows.push_back({r, kb.add(r, kb.idx(8))});
  }
  colBase = kb.mul(kb.rem(kb.laneId(), kb.idx(4)), kb.idx(2));
}

SmallVector<Value> SoftmaxEmitter::copyKeyBlock(Value blk, Value row0,
                                                Value enable) {
  Value k0 = kb.mul(blk, kb.idx(BN));
  if (wgmma) {
    SmallVector<Value> tokens = asyncCopyRowsToCoreMatrices(
        kb, kc, row0, BN, kIn, bIdx, k0, hkv, zero, p.Tk, enable);
    tokens.append(asyncCopyRowsToCoreMatrices(kb, vc, row0, BN, vIn, bIdx, k0,
                                              hkv, zero, p.Tk, enable));
    return tokens;
  }
  SmallVector<Value> tokens = asyncCopyRowsToTile(kb, ks, row0, BN, kIn, bIdx,
                                                  k0, hkv, zero, p.Tk, enable);
  tokens.append(asyncCopyRowsToTile(kb, vs, row0, BN, vIn, bIdx, k0, hkv, zero,
                                    p.Tk, enable));
  return tokens;
}

void SoftmaxEmitter::landed(Value group) {
  waitAsyncCopies(kb, group);
  if (wgmma)
    fenceAsyncProxy(kb);
  kb.barrier();
}

void SoftmaxEmitter::maskScores(MutableArrayRef<Value> sFlat, Value k0) {
  OpBuilder &b = kb.b();
  Location loc = kb.loc();
  SmallVector<MutableArrayRef<Value>> s = rowTiles(sFlat, MT, nS * 4);
  // Keys past Tk, past the first query's position (k0 + BN - 1 > q0 +
  // offset), or that the last query no longer sees (k0 <= q0 + BM - 1 +
  // offset - W). Scores stay unscaled: the scale goes into the exponent's
  // fma (a positive scale commutes with the max).
  Value needMask = kb.lt(kb.idx(p.Tk), kb.add(k0, kb.idx(BN)));
  if (p.causal) {
    needMask = arith::OrIOp::create(
        b, loc, needMask,
        kb.lt(kb.add(q0, kb.idx(offset)), kb.add(k0, kb.idx(BN - 1))));
    if (p.window > 0)
      needMask = arith::OrIOp::create(
          b, loc, needMask,
          kb.le(k0, kb.add(q0, kb.idx(BM - 1 + offset - p.window))));
  }
  if (!foldScale)
    for (Value &x : sFlat)
      x = kb.fmul(x, kb.f32(scaleLog2));
  SmallVector<Type> sTypes(sFlat.size(), b.getF32Type());
  auto masked =
      scf::IfOp::create(b, loc, sTypes, needMask, /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(masked.thenBlock());
    SmallVector<Value> vals;
    for (int64_t i = 0; i < MT; ++i)
      for (int64_t j = 0; j < nS; ++j)
        for (int64_t e = 0; e < 4; ++e) {
          Value key = kb.add(k0, kb.add(colBase, kb.idx(8 * j + e % 2)));
          Value vis = kb.lt(key, kb.idx(p.Tk));
          if (p.causal) {
            Value qpos = kb.add(rows[i][e / 2], kb.idx(offset));
            vis = kb.andI1(vis, kb.le(key, qpos));
            if (p.window > 0)
              vis = kb.andI1(vis,
                             kb.lt(kb.sub(qpos, kb.idx(p.window)), key));
          }
          vals.push_back(kb.select(vis, s[i][4 * j + e], kb.f32(kNegInf)));
        }
    scf::YieldOp::create(b, loc, vals);
    b.setInsertionPointToStart(masked.elseBlock());
    scf::YieldOp::create(b, loc, SmallVector<Value>(sFlat));
  }
  for (auto [i, x] : llvm::enumerate(sFlat))
    x = masked.getResult(i);
}

SoftmaxStep SoftmaxEmitter::softmax(MutableArrayRef<Value> sFlat,
                                    ArrayRef<Value> mOld,
                                    ArrayRef<Value> lOld) {
  OpBuilder &b = kb.b();
  Location loc = kb.loc();
  SmallVector<MutableArrayRef<Value>> s = rowTiles(sFlat, MT, nS * 4);
  // The row maxima in log2 units. The reference m of a row (what P is
  // exp2(S - m) against) moves only when some row of the warp has outgrown
  // its reference by more than kRescaleSlack: until then P stays under
  // 2^kRescaleSlack, and O and l keep the same (stale) reference, which
  // o = O / l cancels; the warp skips rescaling O.
  SmallVector<Value> mCand;
  Value grown = kb.i1(false);
  for (int64_t i = 0; i < MT; ++i) {
    Value rowMax[2] = {kb.f32(kNegInf), kb.f32(kNegInf)};
    for (int64_t j = 0; j < nS; ++j)
      for (int64_t e = 0; e < 4; ++e)
        rowMax[e / 2] = kb.fmax(rowMax[e / 2], s[i][4 * j + e]);
    for (int r = 0; r < 2; ++r) {
      Value m = quadReduce(kb, rowMax[r], true);
      mCand.push_back(foldScale ? kb.fmul(m, kb.f32(scaleLog2)) : m);
      if (kLazyRescale)
        grown = arith::OrIOp::create(
            b, loc, grown,
            arith::CmpFOp::create(
                b, loc, arith::CmpFPredicate::OGT, mCand.back(),
                kb.fadd(mOld[2 * i + r], kb.f32(kRescaleSlack))));
    }
  }
  SoftmaxStep step;
  if (kLazyRescale)
    step.rescale = NVVM::VoteSyncOp::create(
        b, loc, b.getI1Type(),
        arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(-1)), grown,
        NVVM::VoteSyncKindAttr::get(b.getContext(), NVVM::VoteSyncKind::any));
  for (int64_t i = 0; i < MT; ++i) {
    Value negRef[2];
    for (int r = 0; r < 2; ++r) {
      Value old = mOld[2 * i + r];
      Value m = kb.fmax(old, mCand[2 * i + r]);
      if (step.rescale)
        m = kb.select(step.rescale, m, old);
      step.m.push_back(m);
      // A row that has seen no key keeps m = -inf: use 0 as the reference
      // then (all its p are 0), never -inf - -inf.
      Value empty = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                          m, kb.f32(kNegInf));
      Value ref = kb.select(empty, kb.f32(0), m);
      negRef[r] = kb.fsub(kb.f32(0), ref);
      step.alpha.push_back(kb.fexp2(kb.fsub(old, ref), /*ftz=*/true));
    }
    // P = exp2(scale S - ref) and the lane's partial row sums.
    Value l[2] = {kb.fmul(lOld[2 * i], step.alpha[2 * i]),
                  kb.fmul(lOld[2 * i + 1], step.alpha[2 * i + 1])};
    Value sc = kb.f32(foldScale ? scaleLog2 : 1.0);
    for (int64_t j = 0; j < nS; ++j)
      for (int64_t e = 0; e < 4; ++e) {
        Value &x = s[i][4 * j + e];
        x = kb.fexp2(kb.ffma(x, sc, negRef[e / 2]), /*ftz=*/true);
        l[e / 2] = kb.fadd(l[e / 2], x);
      }
    step.l.append({l[0], l[1]});
  }
  return step;
}

void SoftmaxEmitter::rescale(MutableArrayRef<Value> o,
                             const SoftmaxStep &step) {
  OpBuilder &b = kb.b();
  Location loc = kb.loc();
  auto scaleO = [&](MutableArrayRef<Value> acc) {
    for (int64_t i = 0; i < MT; ++i)
      for (int64_t t = 0; t < nO; ++t)
        for (int64_t e = 0; e < 4; ++e) {
          Value &x = acc[(i * nO + t) * 4 + e];
          x = kb.fmul(x, step.alpha[2 * i + e / 2]);
        }
  };
  if (!step.rescale) {
    scaleO(o);
    return;
  }
  SmallVector<Type> oTypes(o.size(), b.getF32Type());
  auto ifOp = scf::IfOp::create(b, loc, oTypes, step.rescale,
                                /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    SmallVector<Value> scaled(o);
    scaleO(scaled);
    scf::YieldOp::create(b, loc, scaled);
    b.setInsertionPointToStart(ifOp.elseBlock());
    scf::YieldOp::create(b, loc, SmallVector<Value>(o));
  }
  for (auto [i, x] : llvm::enumerate(o))
    x = ifOp.getResult(i);
}

SmallVector<SmallVector<Value>>
SoftmaxEmitter::pFragments(MutableArrayRef<Value> sFlat, int64_t i) {
  // k16 step kk covers n8 tiles 2kk and 2kk + 1.
  MutableArrayRef<Value> s = rowTiles(sFlat, MT, nS * 4)[i];
  SmallVector<SmallVector<Value>> a;
  for (int64_t kk = 0; kk < BN / 16; ++kk)
    a.push_back(accumulatorsAsA(kb, s.slice(8 * kk, 4), s.slice(8 * kk + 4, 4)));
  return a;
}

void SoftmaxEmitter::emitMmaLoop() {
  OpBuilder &b = kb.b();
  Location loc = kb.loc();
  if (pipelined) {
    // Q and the first key block, landed before the loop.
    SmallVector<Value> tokens =
        asyncCopyRowsToTile(kb, qs, zero, BM, qIn, bIdx, q0, hIdx, zero, p.Tq);
    tokens.append(copyKeyBlock(first, zero, kb.lt(first, end)));
    landed(commitAsyncCopies(kb, tokens));
  } else {
    loadRowsToTile(kb, qs, qIn, bIdx, q0, hIdx, zero, p.Tq);
  }

  // Loop-carried: O (MT row tiles of nO n8 tiles x 4), then m and l (2 rows
  // per row tile; l holds the lane's partial sums).
  const int64_t oCount = MT * nO * 4, mAt = oCount, lAt = oCount + 2 * MT;
  SmallVector<Value> init(oCount, kb.f32(0));
  init.append(2 * MT, kb.f32(kNegInf));
  init.append(2 * MT, kb.f32(0));
  auto loop = scf::ForOp::create(
      b, loc, first, end, kb.idx(1), init,
      [&](OpBuilder &, Location, Value kbIdx, ValueRange carriedRange) {
        SmallVector<Value> carriedVals(carriedRange);
        ArrayRef<Value> carried(carriedVals);
        Value k0 = kb.mul(kbIdx, kb.idx(BN));
        // This block's K and V tiles: rows [cur, cur + BN) of ks and vs.
        Value cur = zero, group;
        if (pipelined) {
          // The other buffer was last read by block n - 1, whose iteration
          // ended with a barrier: the next block's copies go there now.
          Value parity = kb.rem(kb.sub(kbIdx, first), kb.idx(2));
          cur = kb.mul(parity, kb.idx(BN));
          Value nextBlk = kb.add(kbIdx, kb.idx(1));
          group = commitAsyncCopies(
              kb, copyKeyBlock(nextBlk, kb.sub(kb.idx(BN), cur),
                               kb.lt(nextBlk, end)));
        } else {
          kb.barrier(); // the previous block's K and V are consumed
          loadRowsToTile(kb, ks, kIn, bIdx, k0, hkv, zero, p.Tk);
          loadRowsToTile(kb, vs, vIn, bIdx, k0, hkv, zero, p.Tk);
          kb.barrier();
        }

        // S = Q K^T for the warp's row tiles, each K fragment pair loaded
        // once for all of them.
        SmallVector<Value> sFlat(MT * nS * 4, kb.f32(0));
        {
          SmallVector<MutableArrayRef<Value>> s = rowTiles(sFlat, MT, nS * 4);
          for (int64_t kk = 0; kk < p.Dk; kk += 16) {
            SmallVector<SmallVector<Value>> a;
            for (int64_t i = 0; i < MT; ++i)
              a.push_back(
                  loadA(kb, {qs}, kb.add(m0, kb.idx(16 * i)), kb.idx(kk)));
            mmaAccumulateRows(kb, a, {ks, /*transposed=*/true}, kb.idx(kk),
                              pipelined ? cur : Value(), s);
          }
        }
        maskScores(sFlat, k0);
        SoftmaxStep step = softmax(sFlat, carried.slice(mAt, 2 * MT),
                                   carried.slice(lAt, 2 * MT));
        SmallVector<Value> next(carried.take_front(oCount));
        rescale(next, step);

        // O += P V, each V fragment pair loaded once for all row tiles.
        SmallVector<MutableArrayRef<Value>> o = rowTiles(next, MT, nO * 4);
        SmallVector<SmallVector<SmallVector<Value>>> frags;
        for (int64_t i = 0; i < MT; ++i)
          frags.push_back(pFragments(sFlat, i));
        for (int64_t kk = 0; kk < BN / 16; ++kk) {
          SmallVector<SmallVector<Value>> a;
          for (int64_t i = 0; i < MT; ++i)
            a.push_back(frags[i][kk]);
          Value kRow = kb.idx(16 * kk);
          mmaAccumulateRows(kb, a, {vs}, pipelined ? kb.add(cur, kRow) : kRow,
                            Value(), o);
        }
        if (pipelined)
          // The next block has landed (this thread's copies), and every
          // thread is done with this one before its buffer is refilled.
          landed(group);
        next.append(step.m);
        next.append(step.l);
        scf::YieldOp::create(b, loc, next);
      });
  SmallVector<Value> results(loop.getResults());
  storeOutputs(ArrayRef<Value>(results).take_front(oCount),
               ArrayRef<Value>(results).slice(lAt, 2 * MT));
}

void SoftmaxEmitter::emitWgmmaLoop() {
  OpBuilder &b = kb.b();
  Location loc = kb.loc();
  auto bufferRow = [&](Value blk) {
    return kb.mul(kb.rem(kb.sub(blk, first), kb.idx(3)), kb.idx(BN));
  };
  // The first two key blocks in flight while Q's fragments load.
  Value second = kb.add(first, kb.idx(1));
  SmallVector<Value> tokens = copyKeyBlock(first, zero, kb.lt(first, end));
  tokens.append(copyKeyBlock(second, kb.idx(BN), kb.lt(second, end)));
  Value group = commitAsyncCopies(kb, tokens);
  SmallVector<SmallVector<Value>> qFrags =
      loadAFromGlobal(kb, qIn, bIdx, kb.add(q0, m0), hIdx, p.Tq);
  landed(group);

  // The first block's softmax before the walk (O is still 0: nothing to
  // rescale).
  SmallVector<Value> s =
      warpgroupMma(kb, qFrags, kc, WgmmaB::Transposed, zero, BN, {});
  maskScores(s, kb.mul(first, kb.idx(BN)));
  SmallVector<Value> mInit(2, kb.f32(kNegInf)), lInit(2, kb.f32(0));
  SoftmaxStep step = softmax(s, mInit, lInit);

  // Loop-carried: O (nO n8 tiles x 4), m and l (2 each), and the previous
  // block's P as A words (4 per k16 step).
  const int64_t oCount = nO * 4, mAt = oCount, lAt = oCount + 2,
                pAt = oCount + 4, pSteps = BN / 16;
  SmallVector<Value> init(oCount, kb.f32(0));
  init.append(step.m);
  init.append(step.l);
  for (const SmallVector<Value> &words : pFragments(s, 0))
    init.append(words);
  auto unpackP = [&](ArrayRef<Value> carried) {
    SmallVector<SmallVector<Value>> a;
    for (int64_t kk = 0; kk < pSteps; ++kk)
      a.emplace_back(carried.slice(pAt + 4 * kk, 4));
    return a;
  };

  auto loop = scf::ForOp::create(
      b, loc, second, end, kb.idx(1), init,
      [&](OpBuilder &, Location, Value kbIdx, ValueRange carriedRange) {
        SmallVector<Value> carriedVals(carriedRange);
        ArrayRef<Value> carried(carriedVals);
        // Block n + 1's copies go to the buffer that block n - 2 used, free
        // since the barrier that ended the previous iteration.
        Value nextBlk = kb.add(kbIdx, kb.idx(1));
        Value copies = commitAsyncCopies(
            kb, copyKeyBlock(nextBlk, bufferRow(nextBlk),
                             kb.lt(nextBlk, end)));
        WgmmaGroup scores = warpgroupMmaIssue(
            kb, qFrags, kc, WgmmaB::Transposed, bufferRow(kbIdx), BN, {});
        WgmmaGroup outputs = warpgroupMmaIssue(
            kb, unpackP(carried), vc, WgmmaB::Direct,
            bufferRow(kb.sub(kbIdx, kb.idx(1))), p.Dv,
            carried.take_front(oCount));
        SmallVector<Value> sCur = warpgroupMmaWait(kb, scores, 1);
        maskScores(sCur, kb.mul(kbIdx, kb.idx(BN)));
        SoftmaxStep cur = softmax(sCur, carried.slice(mAt, 2),
                                  carried.slice(lAt, 2));
        SmallVector<Value> next = warpgroupMmaWait(kb, outputs, 0);
        rescale(next, cur);
        next.append(cur.m);
        next.append(cur.l);
        for (const SmallVector<Value> &words : pFragments(sCur, 0))
          next.append(words);
        // Block n + 1 has landed (this thread's copies), and every thread
        // is done with block n - 1's buffer before it is refilled.
        landed(copies);
        scf::YieldOp::create(b, loc, next);
      });

  // The last block's P V.
  SmallVector<Value> results(loop.getResults());
  Value last = arith::MaxSIOp::create(b, loc, kb.sub(end, kb.idx(1)), first);
  SmallVector<Value> o =
      warpgroupMma(kb, unpackP(results), vc, WgmmaB::Direct, bufferRow(last),
                   p.Dv, ArrayRef<Value>(results).take_front(oCount));
  storeOutputs(o, ArrayRef<Value>(results).slice(lAt, 2));
}

void SoftmaxEmitter::storeOutputs(ArrayRef<Value> o, ArrayRef<Value> lParts) {
  OpBuilder &b = kb.b();
  Location loc = kb.loc();
  Value out = args.lookup("o");
  Type outTy = cast<MemRefType>(out.getType()).getElementType();
  for (int64_t i = 0; i < MT; ++i) {
    Value inv[2];
    for (int r = 0; r < 2; ++r) {
      Value l = quadReduce(kb, lParts[2 * i + r], false);
      Value pos = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, l,
                                        kb.f32(0));
      inv[r] = kb.select(pos, kb.fdiv(kb.f32(1), l), kb.f32(0));
    }
    for (int r = 0; r < 2; ++r)
      kb.ifThen(kb.lt(rows[i][r], kb.idx(p.Tq)), [&] {
        for (int64_t t = 0; t < nO; ++t)
          for (int64_t e = 2 * r; e < 2 * r + 2; ++e) {
            Value x = kb.fmul(o[(i * nO + t) * 4 + e], inv[r]);
            Value col = kb.add(colBase, kb.idx(8 * t + e % 2));
            kb.store(kb.fromF32(x, outTy), out, {bIdx, rows[i][r], hIdx, col});
          }
      });
  }
}

void SoftmaxEmitter::emit() {
  if (wgmma)
    emitWgmmaLoop();
  else
    emitMmaLoop();
}

} // namespace

void mlir::attn::gpu_codegen::emitSoftmaxKernel(KernelBuilder &kb,
                                                const GpuProblem &p,
                                                const KernelArgs &args) {
  SoftmaxEmitter(kb, p, args).emit();
}
