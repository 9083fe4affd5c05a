//===- GpuProblem.h - what a GPU kernel of one attn op computes --*- C++ -*-===//
//
// The static description of one attn op as the GPU kernels need it (sizes,
// gates, scale, buffers in launch order), and the tile sizes chosen for it.
// Building it is where every "not supported on the GPU" error is given.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_LIB_CONVERSION_ATTNTOGPU_GPUPROBLEM_H
#define ATTN_LIB_CONVERSION_ATTNTOGPU_GPUPROBLEM_H

#include "attn/Dialect/Attn/IR/Attn.h"
#include "attn/TargetInfo/TargetDescription.h"

#include "KernelBuilder.h"

#include <string>

namespace mlir::attn::gpu_codegen {

enum class BufferRole { Input, Output, Scratch };

/// A kernel parameter: one device buffer, passed as a bare pointer.
struct BufferSpec {
  std::string name; // q, k, v, g, beta, initial_state, o, final_state
  BufferRole role;
  MemRefType type;
};

struct GpuProblem {
  AttentionOpInterface op;
  bool softmax = false;
  bool delta = false;
  GateKind gate = GateKind::None;
  FeatureMap featureMap = FeatureMap::Identity;
  bool causal = true;
  int64_t window = 0;
  int64_t B = 0, Tq = 0, Tk = 0, Hq = 0, Hkv = 0, Dk = 0, Dv = 0;
  double scale = 1.0;
  Type outputType;
  bool hasInitialState = false, hasFinalState = false;
  /// Tile sizes: chunk (linear family) or keys per key block (softmax; both
  /// shrink until the kernels' shared memory fits), and the block of Dv
  /// columns one thread block owns (linear family).
  int64_t chunk = 64, blockV = 64;

  /// Buffers in kernel-parameter order: the function's arguments (the op's
  /// operands), then its results.
  SmallVector<BufferSpec> buffers;

  /// Describes `op` whose operands are `args` and results `results` (in
  /// function order), or emits an error on `op` saying what the GPU kernels
  /// do not support.
  static FailureOr<GpuProblem> describe(AttentionOpInterface op,
                                        ValueRange args, ValueRange results);

  /// Picks blockV (the linear family's Dv columns per thread block), the
  /// state pass's stateBlockV and stateRows from the SM count, or
  /// `forcedV` / `forcedRows` where non-zero. Call after the split flags
  /// are set.
  void chooseBlockV(int64_t sms, int64_t forcedV, int64_t forcedRows = 0);

  /// The buffers plus the scratch buffers of the current tile sizes (the
  /// delta rule's per-chunk T diag(beta) and T diag(beta e^b), bf16
  /// [B * Hq, N * C, 1, C]).
  SmallVector<BufferSpec> allBuffers() const;

  /// Whether the linear family runs as two kernels (a state pass keeping the
  /// state in registers, then outputs parallel over chunks) instead of the
  /// fused one: linear, scalar- and vector-gated attention whose Dk splits
  /// into 16-row tiles evenly over the warps, with chunks of one 16-row tile
  /// per warp (the vector gate only where splitVectorGate allows it); the
  /// delta rule (with split-delta) also, after a prep kernel, where one
  /// block's warps can hold the state's whole Dk (64 or 128 rows).
  bool splitsState() const {
    bool form = splitState && !softmax &&
                (gate != GateKind::Vector || splitVectorGate) &&
                Dk % (16 * 4) == 0 && chunk == 16 * 4 && Dv % 16 == 0;
    return form && (!delta || (splitDelta && Dk <= 128));
  }
  /// The delta rule's split form reads the keys of its state update from a
  /// scratch buffer the prep kernel writes (k_update: bf16, decayed by
  /// e^(b_C - b) with a gate) where the keys are not bf16; bf16 keys are
  /// copied as they are and decayed in the state pass.
  bool deltaKeysScratch() const;
  /// The split form is allowed (attn-lower-to-gpu's split-state), for the
  /// delta rule (split-delta) and the vector gate (split-vector-gate,
  /// GlaSplitKernels.cpp).
  bool splitState = true, splitDelta = true, splitVectorGate = true;
  /// Value columns per block of the split form's state pass (chosen by
  /// chooseBlockV).
  int64_t stateBlockV = 64;
  /// Rows of Dk per block of the state pass: 64 (a 16-row tile a warp) or,
  /// for the linear family's cp.async pass (linear, scalar- and
  /// vector-gated), all of Dk up to 128 (two tiles a warp), so that each
  /// chunk's K and V are read from L2 once per column block rather than
  /// once per (row, column) block. The delta rule's pass always holds all
  /// of Dk (W S contracts over it).
  int64_t stateRows = 64;
  /// Whether this problem's state pass may hold Dk rows other than 64.
  bool stateRowsChoosable() const;
  /// Whether the state pass computes the outputs too (attn-lower-to-gpu's
  /// fuse-outputs): one kernel, each chunk's outputs from the state in
  /// registers (put in shared memory for Q S), no chunk_states scratch.
  /// Auto: chooseBlockV decides by the grid.
  enum class Fusion { Auto, On, Off };
  Fusion fuseOutputs = Fusion::Auto;
  /// Whether it may here: linear and scalar-gated attention in the split
  /// form on cp.async, and the delta rules' split form with bf16 keys (the
  /// scores need them raw); no feature map, Dk up to 128 (one block holds
  /// it).
  bool canFuseOutputs() const {
    if (!splitsState() || gate == GateKind::Vector ||
        featureMap != FeatureMap::Identity || Dk > 128)
      return false;
    return delta ? !deltaKeysScratch() : splitCpAsync;
  }
  /// Whether it does (set by chooseBlockV).
  bool fusesOutputs() const { return outputsFused; }
  bool outputsFused = false;
  /// The state pass's grid: (Dv / stateBlockV, B * Hq, Dk / stateRows).
  std::array<int64_t, 3> stateGrid() const {
    return {Dv / stateBlockV, B * Hq, Dk / stateRows};
  }
  /// The split form's kernels load their tiles by cp.async (state pass:
  /// through a ring of stateStages chunks; attn-lower-to-gpu's
  /// split-cp-async).
  bool splitCpAsync = true;
  /// Chunks in the cp.async state pass's shared-memory ring (2-4; chosen by
  /// chooseStateStages): chunk n computes while the copies of chunks
  /// n + 1 .. n + stateStages - 1 land.
  int64_t stateStages = 2;
  /// Shared memory of the state pass with `stages` ring slots (as
  /// KernelBuilder::allocTile lays the tiles out).
  int64_t stateSharedBytes(int64_t stages) const;
  /// Picks stateStages: the most (up to 4) with which every block of the
  /// state pass's grid is resident at once, ceil(blocks / sms) blocks an SM
  /// sharing smemPerBlock + 1 KiB of shared memory (each block also costs
  /// the 1 KiB the hardware reserves); 2 when none does.
  void chooseStateStages(int64_t sms, int64_t smemPerBlock);
  /// Value columns per thread block of the split form's output kernel: it
  /// has a block per chunk to fill the GPU with, so it takes the widest
  /// block whose accumulators fit the registers (each block recomputes the
  /// chunk's Q K^T).
  /// A vector gate's output kernel has more shared memory per block (its
  /// cumulative gates and Q (.) e^b): 64 columns keep two blocks per SM.
  int64_t outputBlockV() const {
    return std::min<int64_t>(Dv, gate == GateKind::Vector ? 64 : 128);
  }

  /// The target's SM version (80, 90) and whether wgmma may be used there
  /// (attn-lower-to-gpu's wgmma).
  int64_t smVersion = 80;
  bool wgmma = false;
  /// Whether the softmax kernel multiplies on warpgroup MMA (sm_90a's
  /// wgmma.mma_async; the block is two warpgroups of 64 query rows sharing
  /// every K and V tile): bf16 q, k, v (copied by cp.async into the tensor
  /// cores' shared layout) and head dims of 128.
  bool softmaxUsesWgmma() const;
  /// Threads of a softmax block: two warpgroups on warpgroup MMA, else 4
  /// warps.
  int64_t softmaxThreads() const {
    return softmaxUsesWgmma() ? 256 : kDefaultThreads;
  }

  /// Query rows each warp of the softmax kernel owns: 16 on warpgroup MMA;
  /// else 32 (two 16-row mma tiles sharing every K and V fragment the warp
  /// loads) where their output accumulators fit the registers (Dv <= 128)
  /// and there are more than 64 queries; else 16.
  int64_t softmaxWarpRows() const {
    return !softmaxUsesWgmma() && Dv <= 128 && Tq > 64 ? 32 : 16;
  }
  /// Query rows of a softmax thread block.
  int64_t softmaxBlockRows() const {
    return softmaxThreads() / 32 * softmaxWarpRows();
  }

  /// Grid of the main kernel: (x, y, z).
  std::array<int64_t, 3> grid() const;
  int64_t numChunks() const { return (Tq + chunk - 1) / chunk; }
  std::string opName() const;
};

} // namespace mlir::attn::gpu_codegen

#endif // ATTN_LIB_CONVERSION_ATTNTOGPU_GPUPROBLEM_H
