//===- LinearFamily.h - what the linear-family kernels share ----*- C++ -*-===//
//
// The linear family's kernels (the fused chunkwise kernel, LinearFusedKernel;
// the split form's state pass and output kernel, LinearSplitKernels; the
// delta rule's UT-transform kernel, DeltaPrepKernel) are emitters deriving
// from LinearFamilyEmitter, which holds what they have in common: the block's
// batch, head and value columns, the chunk's q, k and v tiles with the
// feature map applied, and the in-chunk cumulative log-decay of the gate.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_LIB_CONVERSION_ATTNTOGPU_LINEARFAMILY_H
#define ATTN_LIB_CONVERSION_ATTNTOGPU_LINEARFAMILY_H

#include "Kernels.h"

namespace mlir::attn::gpu_codegen {

/// phi(x) with the exponential on the fast path (elu+1).
Value featureMap(KernelBuilder &kb, Value x, FeatureMap fm);

class LinearFamilyEmitter {
protected:
  LinearFamilyEmitter(KernelBuilder &kb, const GpuProblem &p,
                      const KernelArgs &args)
      : kb(kb), p(p), args(args), C(p.chunk), BV(p.blockV) {}

  /// blockIdx.x: the block of value columns, .y: (batch, head).
  void bindBlock();
  /// bIdx, hIdx and hkv from `by` = batch * Hq + head.
  void bindBatchHead(Value by);
  /// phi(q) scale, phi(k), and v's columns v0.. of the chunk's rows t0..
  /// into qs, ks and vs.
  void loadQKV(Value t0);
  /// phi(q) scale and phi(k) only.
  void loadQK(Value t0);
  /// gcum = the in-chunk cumulative log-decay b_i = sum_{s <= i} g_s of the
  /// chunk at t0 (g = 0 past T); the caller puts a barrier before reading
  /// it.
  void cumulativeGate(Value t0);
  /// The inclusive scan of gcum's column 0, in place (warp 0).
  void scanScalarGates();
  /// The inclusive scan down every column of the f32 tile `t` (the vector
  /// gate's per-dimension log-decays), in place; the caller has put a
  /// barrier after writing `t`, and this ends with one.
  void scanGateColumns(SmemTile t);

  /// The decays of one chunk of a state pass for the lane's mma elements:
  /// state[i][r] = e^(b_C) of rows r (0: lane/4, 1: lane/4 + 8) of the
  /// warp's m-tile i; key[i][r][s][c] = e^(b_C - b_j) of A column c
  /// (mapA's numbering) of k-step s of K^T, same rows. A scalar gate's
  /// decays do not depend on i or r.
  struct ChunkDecays {
    SmallVector<std::array<Value, 2>> state;
    SmallVector<std::array<SmallVector<std::array<Value, 4>>, 2>> key;
  };
  /// A chunk's scalar gates as one warp holds them: the scan
  /// (scanChunkGates), b_C, and the gates b of the lane's A columns,
  /// columns[j][e] of token 8j + 2(l%4) + e.
  struct ScalarChunkGates {
    std::pair<Value, Value> scan;
    Value last;
    SmallVector<std::array<Value, 2>> columns;
  };
  /// From the chunk's C (64) scalar log-gates in row `slot` of the f32 tile
  /// `gates`: each warp scans them itself (two a lane, shuffles).
  ScalarChunkGates scalarChunkGates(SmemTile gates, Value slot);
  /// The in-chunk cumulative scalar gates b of the tokens at a lane's mma
  /// accumulator elements of a warp's 16-row tile of scores (rows m0 + l/4
  /// and + 8, columns 2(l%4) + 8j + e): row[r], col[j][e].
  struct LaneGates {
    std::array<Value, 2> row;
    SmallVector<std::array<Value, 2>> col;
  };
  /// The lane's gates from the warp's scan: the rows' by shuffles.
  LaneGates laneGatesFromScan(const ScalarChunkGates &gates, Value m0);
  /// The lane's gates from gcum in shared memory.
  LaneGates laneGatesFromShared(Value m0);
  /// The inclusive scan b of the chunk's C (64) scalar log-gates in row
  /// `slot` of the f32 tile `gates`, by the warp's shuffles: lane l gets
  /// (b_2l, b_2l+1).
  std::pair<Value, Value> scanChunkGates(SmemTile gates, Value slot);
  /// The decays of a scalar gate (computed where they are used, so that
  /// they do not hold registers across other work).
  ChunkDecays scalarGateDecays(const ScalarChunkGates &gates, int64_t mTiles);
  ChunkDecays scalarGateDecays(SmemTile gates, Value slot, int64_t mTiles) {
    return scalarGateDecays(scalarChunkGates(gates, slot), mTiles);
  }
  /// From the chunk's per-dimension log-gates at rows cur.. of the f32 tile
  /// `gates` (a column per state row): each lane sums the gates of its own
  /// rows across its quad by shuffles. tileRows: the warp's m-tiles' first
  /// rows.
  ChunkDecays vectorGateDecays(SmemTile gates, Value cur,
                               ArrayRef<Value> tileRows);

  /// The split form's output epilogue for a warp owning rows m0..m0+15 of
  /// the chunk at t0, in mma accumulators: o += P V with P the warp's
  /// (masked, decayed) scores s over the chunk's C columns, and the rows
  /// of o before T stored to columns v0.. of the output.
  void accumulateScoresTimesV(ArrayRef<Value> s, SmemTile v,
                              MutableArrayRef<Value> o);
  void storeOutputRows(Value t0, Value m0, ArrayRef<Value> o);

  /// What the split form's output kernels start with: the block's value
  /// columns (outputBlockV), batch and head; its chunk n (blockIdx.z) at
  /// rows t0..; the chunk's q, k and v tiles (qs, ks, vs) and the tile of
  /// the state entering it (Dk x BV bf16), allocated in that order.
  struct OutputChunk {
    Value n, t0;
    SmemTile state;
  };
  OutputChunk beginOutputChunk();

  /// The lane's mma accumulators of the state slice held by the warps, as
  /// 16-row tiles at rows tileRows[i] (+ rowOffset, when given) and nTiles
  /// n8 tiles from column v0 (tile i at elements 4 nTiles i..):
  /// initial_state's values, or zeros without one.
  SmallVector<Value> initialStateAccumulators(ArrayRef<Value> tileRows,
                                              Value rowOffset,
                                              int64_t nTiles);
  /// A warp's accumulators of a 16-row tile of the state (columns v0..,
  /// acc.size() / 4 n8 tiles) to chunk_states `states` at row `row0` of
  /// head bh: 16 bytes a lane where the tiles come in fours, else pairs.
  void storeStateRows(ArrayRef<Value> acc, Value states, Value bh,
                      Value row0);
  /// Writes accumulators laid out as above to final_state, if the op has
  /// one.
  void storeFinalStateAccumulators(ValueRange acc, ArrayRef<Value> tileRows,
                                   Value rowOffset, int64_t nTiles);

  /// The split form's chunk outputs (its output kernels and the state
  /// passes with outputs): the warp's 16 output rows m0.. of the chunk at
  /// t0 from tiles in shared memory (qs at rows qRow.., ks at kRow.., vs at
  /// vRow.., C rows each; the
  /// entering state `state`, Dk x BV bf16; `gates` the lane's in-chunk
  /// cumulative scalar gates, null without a gate):
  ///   o = scale e^(b_i) Q S + (scale Q K^T (.) D) V,
  /// rows before T stored to o. `beforeState` runs between the scores and
  /// the first read of the state or of V (a wait for their copies),
  /// `beforeValues` between Q S and the first read of V (the delta rule's
  /// state pass computes V there).
  void chunkOutputs(Value t0, Value m0, Value qRow, Value kRow, Value vRow,
                    SmemTile state, const LaneGates *gates,
                    function_ref<void()> beforeState,
                    function_ref<void()> beforeValues = nullptr);

  /// e^(b_i - b_j) for the scalar gate (1 without one).
  Value decayBetween(Value i, Value j);
  Value gateAt(Value i) { return kb.load(gcum.mem, {i, kb.idx(0)}); }

  KernelBuilder &kb;
  const GpuProblem &p;
  const KernelArgs &args;
  int64_t C, BV;
  Value bIdx, hIdx, hkv, v0;
  Type bf16;
  SmemTile qs, ks, vs, gcum;
};

} // namespace mlir::attn::gpu_codegen

#endif // ATTN_LIB_CONVERSION_ATTNTOGPU_LINEARFAMILY_H
