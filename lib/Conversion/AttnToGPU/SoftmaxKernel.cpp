//===- SoftmaxKernel.cpp - FlashAttention-2 style GPU kernel --------------===//
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
// On sm_90a with bf16 inputs and head dim 128 (softmaxUsesWgmma)
// the block's 4 warps are one warpgroup of 16-row warps and both products
// are warpgroup MMAs (WarpgroupMma.h): A from registers (Q's fragments,
// loaded once; P as above), K and V read by the tensor cores from shared
// memory in core-matrix tiles that cp.async fills; no ldmatrix of K or V.
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

} // namespace

void mlir::attn::gpu_codegen::emitSoftmaxKernel(KernelBuilder &kb,
                                                const GpuProblem &p,
                                                const KernelArgs &args) {
  OpBuilder &b = kb.b();
  Location loc = kb.loc();
  const int64_t WR = p.softmaxWarpRows(), MT = WR / 16;
  const int64_t BM = p.softmaxBlockRows(), BN = p.chunk;
  const int64_t nS = BN / 8, nO = p.Dv / 8;
  Type bf16 = b.getBF16Type();
  Value zero = kb.idx(0);
  const double negInf = -std::numeric_limits<double>::infinity();

  Value bx = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  Value by = gpu::BlockIdOp::create(b, loc, gpu::Dimension::y);
  Value bIdx = kb.div(by, kb.idx(p.Hq));
  Value hIdx = kb.rem(by, kb.idx(p.Hq));
  Value hkv = kb.div(hIdx, kb.idx(p.Hq / p.Hkv));
  // Causal query blocks run the longest (latest) first, so that the grid's
  // last wave is short blocks.
  Value qBlock = p.causal ? kb.sub(kb.idx(p.grid()[0] - 1), bx) : bx;
  Value q0 = kb.mul(qBlock, kb.idx(BM));
  Value m0 = kb.mul(kb.warpId(), kb.idx(WR)); // the warp's first row
  const int64_t offset = p.Tk - p.Tq;
  Value qIn = args.lookup("q"), kIn = args.lookup("k"), vIn = args.lookup("v");

  // bf16 inputs go straight to shared memory with cp.async, K and V in two
  // buffers (rows [0, BN) and [BN, 2 BN)): block n + 1 loads while block n
  // computes. Other input types are converted on the way (synchronous loads,
  // one buffer).
  const bool pipelined = canCopyRowsAsync(BM, p.Dk, qIn) &&
                         canCopyRowsAsync(BN, p.Dk, kIn) &&
                         canCopyRowsAsync(BN, p.Dv, vIn);
  const int64_t buffers = pipelined ? 2 : 1;
  // On sm_90a the products are warpgroup MMAs that read K and V straight
  // from shared memory, in the tensor cores' core-matrix layout (kc, vc);
  // else ldmatrix reads them from padded row-major tiles (ks, vs).
  const bool wgmma = p.softmaxUsesWgmma();
  assert((!wgmma || (pipelined && WR == 16)) && "wgmma: cp.async, 16 rows");
  // With wgmma, Q's A fragments come straight from global memory into the
  // registers they stay in for the whole walk: no Q tile, so that 3 blocks
  // fit an SM's shared memory (K and V: 2 x 2 x 16 KB at D = 128).
  SmemTile qs, ks, vs;
  if (!wgmma)
    qs = kb.allocTile(BM, p.Dk, bf16);
  CoreMatrixTile kc, vc;
  if (wgmma) {
    kc = allocCoreMatrixTile(kb, buffers * BN, p.Dk);
    vc = allocCoreMatrixTile(kb, buffers * BN, p.Dv);
  } else {
    ks = kb.allocTile(buffers * BN, p.Dk, bf16);
    vs = kb.allocTile(buffers * BN, p.Dv, bf16);
  }
  if (!pipelined)
    loadRowsToTile(kb, qs, qIn, bIdx, q0, hIdx, zero, p.Tq);

  // Key blocks [first, end) that some query of this block sees.
  int64_t keyBlocks = (p.Tk + BN - 1) / BN;
  Value end = kb.idx(keyBlocks), first = zero;
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

  // The lane's rows: rows[i][0] and rows[i][1] in row tile i (accumulator
  // elements 0-1 and 2-3).
  SmallVector<std::array<Value, 2>> rows;
  for (int64_t i = 0; i < MT; ++i) {
    Value r = kb.add(kb.add(q0, kb.add(m0, kb.idx(16 * i))),
                     kb.div(kb.laneId(), kb.idx(4)));
    rows.push_back({r, kb.add(r, kb.idx(8))});
  }
  Value colBase = kb.mul(kb.rem(kb.laneId(), kb.idx(4)), kb.idx(2));

  // Loop-carried: O (MT row tiles of nO n8 tiles x 4), then m and l (2 rows
  // per row tile; l holds the lane's partial sums).
  const int64_t oCount = MT * nO * 4, mAt = oCount, lAt = oCount + 2 * MT;
  SmallVector<Value> init(oCount, kb.f32(0));
  init.append(2 * MT, kb.f32(negInf));
  init.append(2 * MT, kb.f32(0));
  const double scaleLog2 = p.scale * M_LOG2E;
  const bool foldScale = scaleLog2 > 0;

  // Issues the copies of key block `blk` (all zeros unless `enable`) into
  // the buffer at row `row0`.
  auto copyKeyBlock = [&](Value blk, Value row0, Value enable) {
    Value k0 = kb.mul(blk, kb.idx(BN));
    if (wgmma) {
      SmallVector<Value> tokens = asyncCopyRowsToCoreMatrices(
          kb, kc, row0, BN, kIn, bIdx, k0, hkv, zero, p.Tk, enable);
      tokens.append(asyncCopyRowsToCoreMatrices(
          kb, vc, row0, BN, vIn, bIdx, k0, hkv, zero, p.Tk, enable));
      return tokens;
    }
    SmallVector<Value> tokens = asyncCopyRowsToTile(
        kb, ks, row0, BN, kIn, bIdx, k0, hkv, zero, p.Tk, enable);
    tokens.append(asyncCopyRowsToTile(kb, vs, row0, BN, vIn, bIdx, k0, hkv,
                                      zero, p.Tk, enable));
    return tokens;
  };
  // Landed copies become visible to the tensor cores' reads (wgmma reads
  // shared memory through the async proxy) at the barrier that follows.
  auto landed = [&](Value group) {
    waitAsyncCopies(kb, group);
    if (wgmma)
      fenceAsyncProxy(kb);
    kb.barrier();
  };
  SmallVector<SmallVector<Value>> qFrags;
  if (wgmma) {
    // The first key block in flight while Q's fragments load.
    Value group = commitAsyncCopies(kb, copyKeyBlock(first, zero,
                                                     kb.lt(first, end)));
    qFrags = loadAFromGlobal(kb, qIn, bIdx, kb.add(q0, m0), hIdx, p.Tq);
    landed(group);
  } else if (pipelined) {
    // Q and the first key block, landed before the loop.
    SmallVector<Value> tokens =
        asyncCopyRowsToTile(kb, qs, zero, BM, qIn, bIdx, q0, hIdx, zero, p.Tq);
    tokens.append(copyKeyBlock(first, zero, kb.lt(first, end)));
    landed(commitAsyncCopies(kb, tokens));
  }

  auto loop = scf::ForOp::create(
      b, loc, first, end, kb.idx(1), init,
      [&](OpBuilder &, Location, Value kbIdx, ValueRange carried) {
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
        SmallVector<Value> sFlat;
        if (wgmma) {
          sFlat = warpgroupMma(kb, qFrags, kc, WgmmaB::Transposed, cur, BN,
                               /*acc=*/{});
        } else {
          sFlat.assign(MT * nS * 4, kb.f32(0));
          SmallVector<MutableArrayRef<Value>> s = rowTiles(sFlat, MT, nS * 4);
          for (int64_t kk = 0; kk < p.Dk; kk += 16) {
            SmallVector<SmallVector<Value>> a;
            for (int64_t i = 0; i < MT; ++i)
              a.push_back(loadA(kb, {qs}, kb.add(m0, kb.idx(16 * i)),
                                kb.idx(kk)));
            mmaAccumulateRows(kb, a, {ks, /*transposed=*/true}, kb.idx(kk),
                              pipelined ? cur : Value(), s);
          }
        }
        SmallVector<MutableArrayRef<Value>> s = rowTiles(sFlat, MT, nS * 4);

        // Mask only key blocks that some query of the block cannot fully see
        // (the causal diagonal, the window's edge, the tail past Tk): one
        // uniform branch per block. Scores stay unscaled: the scale goes
        // into the exponent's fma (a positive scale commutes with the max).
        Value needMask = kb.lt(kb.idx(p.Tk), kb.add(k0, kb.idx(BN)));
        if (p.causal) {
          // Keys past the first query's position: k0 + BN - 1 > q0 + offset.
          needMask = arith::OrIOp::create(
              b, loc, needMask,
              kb.lt(kb.add(q0, kb.idx(offset)), kb.add(k0, kb.idx(BN - 1))));
          if (p.window > 0)
            // Keys the last query no longer sees: k0 <= q0 + BM - 1 + offset - W.
            needMask = arith::OrIOp::create(
                b, loc, needMask,
                kb.le(k0, kb.add(q0, kb.idx(BM - 1 + offset - p.window))));
        }
        if (!foldScale)
          for (Value &x : sFlat)
            x = kb.fmul(x, kb.f32(scaleLog2));
        SmallVector<Type> sTypes(sFlat.size(), b.getF32Type());
        auto masked = scf::IfOp::create(b, loc, sTypes, needMask,
                                        /*withElseRegion=*/true);
        {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(masked.thenBlock());
          SmallVector<Value> vals;
          for (int64_t i = 0; i < MT; ++i)
            for (int64_t j = 0; j < nS; ++j)
              for (int64_t e = 0; e < 4; ++e) {
                Value key =
                    kb.add(k0, kb.add(colBase, kb.idx(8 * j + e % 2)));
                Value vis = kb.lt(key, kb.idx(p.Tk));
                if (p.causal) {
                  Value qpos = kb.add(rows[i][e / 2], kb.idx(offset));
                  vis = kb.andI1(vis, kb.le(key, qpos));
                  if (p.window > 0)
                    vis = kb.andI1(
                        vis, kb.lt(kb.sub(qpos, kb.idx(p.window)), key));
                }
                vals.push_back(
                    kb.select(vis, s[i][4 * j + e], kb.f32(negInf)));
              }
          scf::YieldOp::create(b, loc, vals);
          b.setInsertionPointToStart(masked.elseBlock());
          scf::YieldOp::create(b, loc, sFlat);
        }
        for (auto [i, x] : llvm::enumerate(sFlat))
          x = masked.getResult(i);

        // The row maxima in log2 units. The reference m of a row (what P is
        // exp2(S - m) against) moves only when some row of the warp has
        // outgrown its reference by more than kRescaleSlack: until then P
        // stays under 2^kRescaleSlack, and O and l keep the same (stale)
        // reference, which o = O / l cancels; the warp skips rescaling O.
        SmallVector<Value> mCand, mOld;
        Value grown = kb.i1(false);
        for (int64_t i = 0; i < MT; ++i) {
          Value rowMax[2] = {kb.f32(negInf), kb.f32(negInf)};
          for (int64_t j = 0; j < nS; ++j)
            for (int64_t e = 0; e < 4; ++e)
              rowMax[e / 2] = kb.fmax(rowMax[e / 2], s[i][4 * j + e]);
          for (int r = 0; r < 2; ++r) {
            Value m = quadReduce(kb, rowMax[r], true);
            mCand.push_back(foldScale ? kb.fmul(m, kb.f32(scaleLog2)) : m);
            mOld.push_back(carried[mAt + 2 * i + r]);
            if (kLazyRescale)
              grown = arith::OrIOp::create(
                  b, loc, grown,
                  arith::CmpFOp::create(
                      b, loc, arith::CmpFPredicate::OGT, mCand.back(),
                      kb.fadd(mOld.back(), kb.f32(kRescaleSlack))));
          }
        }
        Value rescale;
        if (kLazyRescale)
          rescale = NVVM::VoteSyncOp::create(
              b, loc, b.getI1Type(),
              arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(-1)),
              grown,
              NVVM::VoteSyncKindAttr::get(b.getContext(),
                                          NVVM::VoteSyncKind::any));
        SmallVector<Value> next(carried.take_front(oCount));
        SmallVector<Value> mNew, lNew, alpha;
        for (int64_t i = 0; i < MT; ++i) {
          Value negRef[2];
          for (int r = 0; r < 2; ++r) {
            Value old = mOld[2 * i + r];
            Value m = kb.fmax(old, mCand[2 * i + r]);
            if (rescale)
              m = kb.select(rescale, m, old);
            mNew.push_back(m);
            // A row that has seen no key keeps m = -inf: use 0 as the
            // reference then (all its p are 0), never -inf - -inf.
            Value empty = arith::CmpFOp::create(
                b, loc, arith::CmpFPredicate::OEQ, m, kb.f32(negInf));
            Value ref = kb.select(empty, kb.f32(0), m);
            negRef[r] = kb.fsub(kb.f32(0), ref);
            alpha.push_back(kb.fexp2(kb.fsub(old, ref), /*ftz=*/true));
          }
          // P = exp2(scale S - ref) and the lane's partial row sums.
          Value l[2] = {kb.fmul(carried[lAt + 2 * i], alpha[2 * i]),
                        kb.fmul(carried[lAt + 2 * i + 1], alpha[2 * i + 1])};
          Value sc = kb.f32(foldScale ? scaleLog2 : 1.0);
          for (int64_t j = 0; j < nS; ++j)
            for (int64_t e = 0; e < 4; ++e) {
              Value &x = s[i][4 * j + e];
              x = kb.fexp2(kb.ffma(x, sc, negRef[e / 2]), /*ftz=*/true);
              l[e / 2] = kb.fadd(l[e / 2], x);
            }
          lNew.append({l[0], l[1]});
        }
        // O = diag(alpha) O (with lazy rescaling only when the warp moved
        // its references).
        auto scaleO = [&](MutableArrayRef<Value> acc) {
          for (int64_t i = 0; i < MT; ++i)
            for (int64_t t = 0; t < nO; ++t)
              for (int64_t e = 0; e < 4; ++e) {
                Value &x = acc[(i * nO + t) * 4 + e];
                x = kb.fmul(x, alpha[2 * i + e / 2]);
              }
        };
        if (!rescale) {
          scaleO(next);
        } else {
          SmallVector<Type> oTypes(oCount, b.getF32Type());
          auto ifOp = scf::IfOp::create(b, loc, oTypes, rescale,
                                        /*withElseRegion=*/true);
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(ifOp.thenBlock());
          SmallVector<Value> scaled(next);
          scaleO(scaled);
          scf::YieldOp::create(b, loc, scaled);
          b.setInsertionPointToStart(ifOp.elseBlock());
          scf::YieldOp::create(b, loc, next);
          for (auto [i, x] : llvm::enumerate(next))
            x = ifOp.getResult(i);
        }

        // O += P V: P's bf16 A fragments (k16 step kk covers n8 tiles 2kk
        // and 2kk + 1), each V fragment pair loaded once for all row tiles.
        if (wgmma) {
          SmallVector<SmallVector<Value>> a;
          for (int64_t kk = 0; kk < BN / 16; ++kk)
            a.push_back(accumulatorsAsA(kb, s[0].slice(8 * kk, 4),
                                        s[0].slice(8 * kk + 4, 4)));
          next = warpgroupMma(kb, a, vc, WgmmaB::Direct, cur, p.Dv, next);
        } else {
          SmallVector<MutableArrayRef<Value>> o = rowTiles(next, MT, nO * 4);
          for (int64_t kk = 0; kk < BN / 16; ++kk) {
            SmallVector<SmallVector<Value>> a;
            for (int64_t i = 0; i < MT; ++i)
              a.push_back(accumulatorsAsA(kb, s[i].slice(8 * kk, 4),
                                          s[i].slice(8 * kk + 4, 4)));
            Value kRow = kb.idx(16 * kk);
            mmaAccumulateRows(kb, a, {vs},
                              pipelined ? kb.add(cur, kRow) : kRow, Value(), o);
          }
        }
        if (pipelined)
          // The next block has landed (this thread's copies), and every
          // thread is done with this one before its buffer is refilled.
          landed(group);
        next.append(mNew);
        next.append(lNew);
        scf::YieldOp::create(b, loc, next);
      });

  // o = O / l (l summed over the row's 4 lanes); a query that saw no key
  // gets 0.
  Value out = args.lookup("o");
  Type outTy = cast<MemRefType>(out.getType()).getElementType();
  for (int64_t i = 0; i < MT; ++i) {
    Value inv[2];
    for (int r = 0; r < 2; ++r) {
      Value l = quadReduce(kb, loop.getResult(lAt + 2 * i + r), false);
      Value pos = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, l,
                                        kb.f32(0));
      inv[r] = kb.select(pos, kb.fdiv(kb.f32(1), l), kb.f32(0));
    }
    for (int r = 0; r < 2; ++r)
      kb.ifThen(kb.lt(rows[i][r], kb.idx(p.Tq)), [&] {
        for (int64_t t = 0; t < nO; ++t)
          for (int64_t e = 2 * r; e < 2 * r + 2; ++e) {
            Value x =
                kb.fmul(loop.getResult((i * nO + t) * 4 + e), inv[r]);
            Value col = kb.add(colBase, kb.idx(8 * t + e % 2));
            kb.store(kb.fromF32(x, outTy), out, {bIdx, rows[i][r], hIdx, col});
          }
      });
  }
}
