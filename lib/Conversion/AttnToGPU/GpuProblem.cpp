//===- GpuProblem.cpp - what a GPU kernel of one attn op computes ---------===//
#include "GpuProblem.h"
#include "Kernels.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::gpu_codegen;

namespace {

/// The buffer name of operand `v` of `op`.
std::string operandName(AttentionOpInterface op, Value v) {
  if (v == op.getQ())
    return "q";
  if (v == op.getK())
    return "k";
  if (v == op.getV())
    return "v";
  if (v == op.getInitialStateOrNull())
    return "initial_state";
  if (auto gla = dyn_cast<GatedLinearAttentionOp>(op.getOperation()))
    if (v == gla.getG())
      return "g";
  if (auto delta = dyn_cast<DeltaRuleOp>(op.getOperation())) {
    if (v == delta.getBeta())
      return "beta";
    if (v == delta.getG())
      return "g";
  }
  return "";
}

} // namespace

FailureOr<GpuProblem> GpuProblem::describe(AttentionOpInterface op,
                                           ValueRange args,
                                           ValueRange results) {
  GpuProblem p;
  p.op = op;
  Operation *operation = op.getOperation();
  p.softmax = isa<SoftmaxAttentionOp>(operation);
  p.delta = isa<DeltaRuleOp>(operation);
  p.gate = op.getGateKind();
  p.causal = op.isCausal();

  if (op.getCuSeqlensOrNull())
    return op.emitOpError() << "packed sequences (cu_seqlens) are not "
                               "supported by the GPU kernels yet";
  if (op.getProjectionOrNull())
    return op.emitOpError()
           << "the favor feature map is not supported by the GPU kernels yet";
  for (Value v : operation->getOperands())
    if (!cast<ShapedType>(v.getType()).hasStaticShape())
      return op.emitOpError()
             << "GPU kernels need static shapes (operand of type "
             << v.getType() << ")";
  p.B = cast<ShapedType>(op.getQ().getType()).getDimSize(0);
  p.Tq = op.getQuerySeqLen();
  p.Tk = op.getKeySeqLen();
  p.Hq = op.getNumHeads();
  p.Hkv = op.getNumKVHeads();
  p.Dk = op.getKeyDim();
  p.Dv = op.getValueDim();
  p.scale = *op.getStaticScale();
  p.outputType = cast<ShapedType>(op.getO().getType()).getElementType();
  p.hasInitialState = static_cast<bool>(op.getInitialStateOrNull());
  p.hasFinalState = static_cast<bool>(op.getFinalStateOrNull());

  if (p.Dk % 16 != 0 || p.Dv % 16 != 0 || p.Dk > 256 || p.Dv > 256)
    return op.emitOpError() << "GPU kernels need head dims that are multiples "
                               "of 16 and at most 256 (Dk = "
                            << p.Dk << ", Dv = " << p.Dv << ")";
  if (auto sm = dyn_cast<SoftmaxAttentionOp>(operation)) {
    p.window = sm.getWindow().value_or(0);
  } else if (auto lin = dyn_cast<LinearAttentionOp>(operation)) {
    p.featureMap = lin.getFeatureMap();
    if (lin.getNormalize())
      return op.emitOpError()
             << "`normalize` is not supported by the GPU kernels yet";
    if (!p.causal)
      return op.emitOpError()
             << "non-causal linear attention is not supported by the GPU "
                "kernels yet";
  }
  if (!p.softmax) {
    p.blockV = std::min<int64_t>(p.Dv, 64);
    if (auto c = op.getChunkSize())
      p.chunk = std::min<int64_t>(64, std::max<int64_t>(16, *c));
    // mma tiles need chunks that are multiples of 16.
    p.chunk = p.chunk >= 64 ? 64 : p.chunk >= 32 ? 32 : 16;
  }

  for (Value a : args) {
    std::string name = operandName(op, a);
    if (name.empty())
      return op.emitOpError()
             << "GPU kernel functions must pass every argument straight to "
                "the op";
    auto t = cast<RankedTensorType>(a.getType());
    p.buffers.push_back({name, BufferRole::Input,
                         MemRefType::get(t.getShape(), t.getElementType())});
  }
  for (Value r : results) {
    std::string name = r == op.getO() ? "o"
                       : r == op.getFinalStateOrNull() ? "final_state"
                                                       : "";
    if (name.empty())
      return op.emitOpError()
             << "GPU kernel functions must return the op's results";
    auto t = cast<RankedTensorType>(r.getType());
    p.buffers.push_back({name, BufferRole::Output,
                         MemRefType::get(t.getShape(), t.getElementType())});
  }
  return p;
}

bool GpuProblem::stateRowsChoosable() const {
  return !delta && splitCpAsync && Dk > 64 && Dk <= 128;
}

void GpuProblem::chooseBlockV(int64_t sms, int64_t forcedV,
                              int64_t forcedRows) {
  if (softmax)
    return;
  stateRows = delta ? Dk : std::min<int64_t>(Dk, 64);
  if (forcedV > 0)
    blockV = stateBlockV = std::min(forcedV, Dv);
  if (forcedRows > 0 && stateRowsChoosable())
    stateRows = std::min(forcedRows, Dk);
  // The fused pass walks every chunk of a sequence in one block, so it
  // needs more (batch, head, value-column) blocks than the split form,
  // whose outputs are parallel over chunks. Measured on an H100 (bench/gpu/
  // NOTES.md, run 7): linear attention fused is 1.6-2x the split form at
  // 128-256 such blocks of 32-64 columns, 0.7x at 64 (B1 T32768 H16); the
  // delta rules 1.25-1.4x.
  const int64_t narrowest = std::min<int64_t>(Dv, 32);
  outputsFused =
      canFuseOutputs() &&
      (fuseOutputs == Fusion::On ||
       (fuseOutputs == Fusion::Auto &&
        4 * B * Hq * (Dv / narrowest) >= 3 * sms));
  // Q S and Q K^T contract over all of Dk.
  if (fusesOutputs())
    stateRows = Dk;
  if (forcedV > 0)
    return;
  // Narrower blocks recompute the chunk's Dv-independent work per block but
  // fill the GPU when B * H is small (the state's columns are independent,
  // so the split is exact). That work is one Q K^T product for linear and
  // scalar-gated attention, but the triangular solve of the delta rule and
  // the elementwise decayed scores of a vector gate cost more than the
  // parallelism gains (measured on an H200: bench/gpu/NOTES.md).
  blockV = std::min<int64_t>(Dv, 64);
  // The state pass's blocks: narrower ones give more SMs work but re-read
  // the chunk's Dv-independent tiles (K, the gates; W for the delta rule)
  // from L2 once per block. Measured on an H100 at D = 128 (bench/gpu/
  // NOTES.md, run 5): 16 columns never beat 32 (B1 T32768: linear 0.50 vs
  // 0.34 ms, GLA 2.57 vs 2.14), and the delta rule's pass, which holds all
  // of Dk (W S contracts over it), is fastest at 64 once that gives half
  // the SMs a block (B4 T8192: 0.33 vs 0.42 ms at 32).
  stateBlockV = std::min<int64_t>(Dv, 64);
  auto blocksOf = [&](int64_t rows, int64_t bv) {
    return B * Hq * (Dk / rows) * (Dv / bv);
  };
  if (delta) {
    while (stateBlockV > narrowest && 2 * blocksOf(Dk, stateBlockV) < sms)
      stateBlockV /= 2;
    return;
  }
  // The other state passes hold all of Dk in a block, as the delta rule's
  // does, where that still gives half the SMs a block (K and V leave L2
  // once per column block: the L2, not DRAM, bounds the 64-row pass,
  // bench/gpu/NOTES.md run 5); else blocks of 64 rows, two per SM to hide
  // each other's global loads.
  if (fusesOutputs()) {
    // As the delta rule's pass: every block recomputes the chunk's Q K^T.
    while (stateBlockV > narrowest && 2 * blocksOf(Dk, stateBlockV) < sms)
      stateBlockV /= 2;
  } else if (forcedRows == 0 && stateRowsChoosable() &&
             2 * blocksOf(Dk, stateBlockV) >= sms) {
    stateRows = Dk;
  } else {
    while (stateBlockV > narrowest &&
           blocksOf(stateRows, stateBlockV) < 2 * sms)
      stateBlockV /= 2;
  }
  if (gate == GateKind::Vector)
    return;
  while (blockV > 16 && B * Hq * (Dv / blockV) < sms)
    blockV /= 2;
}

int64_t GpuProblem::stateSharedBytes(int64_t stages) const {
  // The ring's K rows (stateRows columns), V columns and, with a gate, the
  // chunk's gates (a row a slot); rows padded by 16 bytes, tiles rounded to
  // 128 bytes, as allocTile does.
  auto tile = [](int64_t rows, int64_t cols, int64_t bytes) {
    return (rows * (cols + 16 / bytes) * bytes + 127) / 128 * 128;
  };
  int64_t total = tile(stages * chunk, stateRows, 2) +
                  tile(stages * chunk, stateBlockV, 2);
  if (gate == GateKind::Scalar)
    total += tile(stages, chunk, 4);
  if (gate == GateKind::Vector)
    total += tile(stages * chunk, stateRows, 4);
  // With the outputs: Q in the ring, the state (bf16) and the cumulative
  // gates.
  if (fusesOutputs())
    total += tile(stages * chunk, Dk, 2) + tile(Dk, stateBlockV, 2) +
             tile(chunk, 1, 4);
  return total;
}

void GpuProblem::chooseStateStages(int64_t sms, int64_t smemPerBlock) {
  // Every slot past the first is a chunk whose loads are in flight while
  // one computes; but a block that does not fit beside the others waits
  // for a second wave, which costs more than the latency it would hide.
  constexpr int64_t kReserved = 1024;
  std::array<int64_t, 3> grid = stateGrid();
  int64_t blocks = grid[0] * grid[1] * grid[2];
  int64_t perSm = (blocks + sms - 1) / std::max<int64_t>(sms, 1);
  stateStages = 2;
  for (int64_t s = 4; s > 2; --s)
    if (perSm * (stateSharedBytes(s) + kReserved) <= smemPerBlock + kReserved) {
      stateStages = s;
      break;
    }
}

SmallVector<BufferSpec> GpuProblem::allBuffers() const {
  SmallVector<BufferSpec> all(buffers);
  if (splitsState() && !fusesOutputs()) {
    // The state entering each chunk, [B * Hq, N * Dk, 1, Dv] bf16.
    Type bf16 = BFloat16Type::get(op->getContext());
    all.push_back(
        {"chunk_states", BufferRole::Scratch,
         MemRefType::get({B * Hq, numChunks() * Dk, 1, Dv}, bf16)});
  }
  if (delta && splitsState()) {
    // Per chunk W = T diag(beta e^b) K and U = T diag(beta) V (prep kernel),
    // the state pass's V_new = U - W S (unless it computes the outputs
    // itself), and, where needed, the decayed keys
    // of the state update; [B * Hq, N * C, 1, D] bf16.
    Type bf16 = BFloat16Type::get(op->getContext());
    auto rows = [&](int64_t d) {
      return MemRefType::get({B * Hq, numChunks() * chunk, 1, d}, bf16);
    };
    all.push_back({"w", BufferRole::Scratch, rows(Dk)});
    all.push_back({"u", BufferRole::Scratch, rows(Dv)});
    if (!fusesOutputs())
      all.push_back({"v_new", BufferRole::Scratch, rows(Dv)});
    if (deltaKeysScratch())
      all.push_back({"k_update", BufferRole::Scratch, rows(Dk)});
  } else if (delta) {
    Type bf16 = BFloat16Type::get(op->getContext());
    auto t = MemRefType::get({B * Hq, numChunks() * chunk, 1, chunk}, bf16);
    all.push_back({"t_beta", BufferRole::Scratch, t});
    all.push_back({"t_beta_decay", BufferRole::Scratch, t});
  }
  return all;
}

bool GpuProblem::softmaxUsesWgmma() const {
  if (!softmax || !wgmma || smVersion < 90)
    return false;
  for (const BufferSpec &buf : buffers)
    if ((buf.name == "q" || buf.name == "k" || buf.name == "v") &&
        !buf.type.getElementType().isBF16())
      return false;
  // Head dim 64 gave wrong results on an H100 (bench/gpu/NOTES.md, step
  // d): until that is understood only 128 takes warpgroup MMA.
  return Dk == 128 && Dv == 128;
}

bool GpuProblem::deltaKeysScratch() const {
  for (const BufferSpec &buf : buffers)
    if (buf.name == "k")
      return !buf.type.getElementType().isBF16();
  return true;
}

std::array<int64_t, 3> GpuProblem::grid() const {
  if (softmax)
    return {(Tq + softmaxBlockRows() - 1) / softmaxBlockRows(), B * Hq, 1};
  return {(Dv + blockV - 1) / blockV, B * Hq, 1};
}

std::string GpuProblem::opName() const {
  return op->getName().stripDialect().str();
}
