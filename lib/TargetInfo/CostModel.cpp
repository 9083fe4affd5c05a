//===- CostModel.cpp - roofline estimates of the attention forms ---------===//
//
// Each form is priced as a list of work items (a matmul of a given shape, or
// vector work), each with the number of independent pieces it can be split
// into, plus the DRAM/HBM bytes it moves and the sequential steps it cannot
// overlap:
//
//   time = max(sum_i flops_i / (peak_i * fill_i * min(1, indep_i / units)),
//              bytes / bandwidth)
//          + sequentialSteps * sequentialStepNs
//
// Flop counts are per (batch, head) times B*H. Causal masks halve the masked
// products. Sizes are clamped to >= 1 so that every estimate is finite.
//
// Modelling choices that the decisions rest on:
//  - matmul efficiency is the fill of the target's tile (GPU: the mma shape;
//    CPU: the contraction kernels' register tile, 5 rows by a vector of
//    lanes), so short chunks / tiny T lose throughput;
//  - intermediates (T x T scores, the Dk x Dv state) cost DRAM traffic only
//    when they do not fit on chip (CPU: L2, GPU: shared memory);
//  - the initial / final state's own I/O (8 Dk Dv bytes) is not charged: it
//    is the same for every form that carries a state, and the problem does
//    not say whether the op has one;
//  - chunkwise pays N + 1 sequential steps (a parallel intra-chunk phase,
//    then N state hand-offs), so one chunk (C >= T) costs one step more than
//    the quadratic form it then equals;
//  - a spilled softmax score matrix makes the softmax a pass of its own whose
//    memory time cannot hide under the matmuls' compute.
//
//===----------------------------------------------------------------------===//

#include "attn/TargetInfo/CostModel.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>

namespace attn::target {

namespace {

/// A vectorized exp is a range reduction plus a degree ~6 polynomial: about
/// ten FMA-equivalents.
constexpr double kExpFlops = 10;
/// Softmax per score: scale, running max, subtract, exp, running sum.
constexpr double kSoftmaxFlopsPerScore = 4 + kExpFlops;
/// Score-matrix transfers of the unfused softmax of the quadratic form on a
/// CPU: max (read), exp (read, write), sum (read).
constexpr double kCpuSoftmaxPasses = 4;

bool isDelta(OpFamily f) {
  return f == OpFamily::Delta || f == OpFamily::GatedDelta;
}
bool isGated(OpFamily f) {
  return f == OpFamily::GatedScalar || f == OpFamily::GatedVector ||
         f == OpFamily::GatedDelta;
}
/// Gated and delta-rule ops have no non-causal definition: they are always
/// causal, whatever the flag says.
bool isCausal(const AttentionProblem &p) {
  return p.causal || (p.family != OpFamily::Softmax &&
                      p.family != OpFamily::Linear);
}

/// ceil(t / c) of sizes, in double: a static size may be near 2^63, where
/// int64 arithmetic (and casts back from double) would overflow.
double blocksOf(double t, double c) { return std::ceil(t / c); }

/// A count for the notes: exact below 2^53, else in scientific notation.
std::string countStr(double x) {
  if (x < 9007199254740992.0)
    return std::to_string(static_cast<long long>(x));
  std::ostringstream os;
  os << x;
  return os.str();
}

/// The problem with every size clamped to >= 1.
struct Shape {
  double bh, tq, tk, dk, dv, e;
  explicit Shape(const AttentionProblem &p)
      : bh(double(std::max<int64_t>(p.batch, 1)) *
           double(std::max<int64_t>(p.heads, 1))),
        tq(double(std::max<int64_t>(p.seqLenQ, 1))),
        tk(double(std::max<int64_t>(p.seqLenK, 1))),
        dk(double(std::max<int64_t>(p.keyDim, 1))),
        dv(double(std::max<int64_t>(p.valueDim, 1))),
        e(double(std::max<int64_t>(p.elementBytes, 1))) {}
};

/// The matmul tile a target computes in one piece; dims below it waste the
/// rest of the tile.
struct Tile {
  double m, n, k;
};

Tile matmulTile(const TargetDescription &t) {
  if (t.kind == TargetKind::GPU) {
    // The tensor-core instruction shape (mma.sync m16n8k16, wgmma m64nNk16).
    auto orDefault = [](int64_t v, int64_t d) { return double(v > 0 ? v : d); };
    return {orDefault(t.mmaM, 16), orDefault(t.mmaN, 8), orDefault(t.mmaK, 16)};
  }
  // CPU: the register tile of attn-cpu-vectorize-contractions, 5 to 8 rows
  // (m, the time / chunk dim) by one to four vectors of f32 lanes (n); k is
  // a loop with no waste. Shorter rows or columns leave accumulators idle.
  double lanes = std::max<double>(1, double(t.vectorBits) / 32.0);
  return {5, lanes, 1};
}

/// Fraction of a tile dim that does useful work.
double fill(double d, double tile) {
  return tile <= 1 ? 1.0 : std::min(1.0, d / tile);
}

/// Does a buffer of `bytes` stay on chip (CPU: L2 of the core working on it;
/// GPU: shared memory of the SM)? If not, it round-trips through DRAM/HBM.
bool fitsOnChip(double bytes, const TargetDescription &t) {
  double capacity = t.kind == TargetKind::GPU ? double(t.smemBytesPerUnit)
                                              : double(t.l2Bytes);
  return bytes <= capacity;
}

/// Accumulates the compute time of the work items of one form.
class Work {
public:
  Work(const TargetDescription &t, double elementBytes)
      : tile(matmulTile(t)) {
    matPeak = std::max(t.peakMatmulGflops, 1e-9);
    // GPU tensor cores run f32 inputs as TF32 at half the bf16 rate (A100,
    // H100 whitepapers).
    if (t.kind == TargetKind::GPU && elementBytes >= 4)
      matPeak /= 2;
    vecPeak = std::max(t.peakVectorGflops, 1e-9);
    units = double(std::max<int64_t>(t.parallelUnits, 1));
  }

  /// `f` flops of a matmul with output m x n and reduction k, split into
  /// `indep` independent pieces.
  void matmul(double f, double m, double n, double k, double indep) {
    double eff = fill(m, tile.m) * fill(n, tile.n) * fill(k, tile.k);
    add(f, matPeak * eff, indep);
  }
  /// `f` flops of elementwise / matrix-vector work.
  void vector(double f, double indep) { add(f, vecPeak, indep); }
  /// `ns` of fixed per-iteration costs, summed over all units' work.
  void fixed(double ns, double indep) {
    double par = std::min(1.0, std::max(indep, 1.0) / units);
    computeNs += ns / (units * par);
  }

  double flops = 0;
  double computeNs = 0;

private:
  void add(double f, double peakGflops, double indep) {
    // GFLOP/s == flop/ns; less independent work than units idles the rest.
    double par = std::min(1.0, std::max(indep, 1.0) / units);
    flops += f;
    computeNs += f / (peakGflops * par);
  }

  Tile tile;
  double matPeak, vecPeak, units;
};

/// Bytes of q, k, v, o and the gate / beta inputs of one (batch, head) over
/// tq query and tk key positions.
double ioBytes(const AttentionProblem &p, const Shape &s, double tq,
               double tk) {
  double elems = tq * (s.dk + s.dv) + tk * (s.dk + s.dv);
  if (p.family == OpFamily::GatedScalar || p.family == OpFamily::GatedDelta)
    elems += tk; // g: one log-decay per position
  if (p.family == OpFamily::GatedVector)
    elems += tk * s.dk; // g: one per position and key dim
  if (isDelta(p.family))
    elems += tk; // beta
  return elems * s.e;
}

/// Vector work of the gates over a block of L positions that carries a state:
/// exp(cumsum g), the L x L decay-ratio mask (scalar) or per-dim scaling of q
/// and k (vector), and the state decay at the block's end.
double gateFlops(OpFamily f, double L, const Shape &s) {
  if (f == OpFamily::GatedScalar || f == OpFamily::GatedDelta)
    return L * kExpFlops + L * L + 2 * L * s.dk + s.dk * s.dv;
  if (f == OpFamily::GatedVector)
    return L * s.dk * kExpFlops + 3 * L * s.dk + s.dk * s.dv;
  return 0;
}

/// The roofline of one pass: compute and memory traffic overlap.
double rooflineNs(const Work &w, double bytes, const TargetDescription &t) {
  double memNs = bytes / std::max(t.memBandwidthGBs, 1e-9); // GB/s == B/ns
  return std::max(w.computeNs, memNs);
}

/// Fills in the estimate of a form made of the pass `w` moving `bytes`, and
/// optionally a second pass `extra` that runs on its own (it depends on all of
/// the first pass's output, so neither hides under the other).
FormEstimate finish(FormEstimate est, const Work &w, double bytes,
                    double steps, const TargetDescription &t,
                    const Work *extra = nullptr, double extraBytes = 0) {
  est.flops = w.flops + (extra ? extra->flops : 0);
  est.bytes = bytes + extraBytes;
  est.sequentialSteps = steps;
  est.timeNs = rooflineNs(w, bytes, t) + steps * t.sequentialStepNs;
  est.computeNs = w.computeNs;
  if (extra) {
    est.timeNs += rooflineNs(*extra, extraBytes, t);
    est.computeNs += extra->computeNs;
  }
  return est;
}

FormEstimate notApplicable(FormKind form) {
  FormEstimate est;
  est.form = form;
  est.timeNs = std::numeric_limits<double>::infinity();
  est.note = "not applicable";
  return est;
}

//===----------------------------------------------------------------------===//
// The forms.
//===----------------------------------------------------------------------===//

/// S_t = f(S_{t-1}, k_t, v_t), o_t = q_t^T S_t: T dependent steps of
/// matrix-vector work per sequence, B*H sequences in parallel.
FormEstimate estimateRecurrent(const AttentionProblem &p,
                               const TargetDescription &t) {
  Shape s(p);
  double T = s.tq, state = s.dk * s.dv;
  // Per step: rank-1 update k v^T (2 Dk Dv) and the output q^T S (2 Dk Dv).
  double perStep = 4 * state;
  if (isDelta(p.family))
    perStep += 2 * state; // the prediction k^T S before the update
  if (isGated(p.family))
    perStep += state + (p.family == OpFamily::GatedVector ? s.dk : 1) *
                           kExpFlops; // decay S by exp(g_t)
  Work w(t, s.e);
  w.vector(s.bh * T * perStep, s.bh);
  double bytes = s.bh * ioBytes(p, s, T, T);
  // A state that does not stay on chip is read and written every step.
  bool spills = !fitsOnChip(4 * state, t);
  if (spills)
    bytes += s.bh * T * 2 * 4 * state;
  FormEstimate est;
  est.form = FormKind::Recurrent;
  std::ostringstream note;
  note << countStr(T) << " sequential steps of matrix-vector work";
  if (spills)
    note << ", state spilled every step";
  est.note = note.str();
  return finish(est, w, bytes, T, t);
}

/// Adds the WY / UT-transform work of a delta-rule block of L positions,
/// done in `pieces` blocks with `indep` independent pieces:
/// K K^T (strict lower half), A = (I + StrictTril(beta K K^T))^-1 by forward
/// substitution (L^3/3), W = A beta K and U = A beta V (A triangular).
void addWY(Work &w, const Shape &s, double L, double pieces, double indep) {
  w.matmul(pieces * L * L * s.dk, L, L, s.dk, indep);
  w.vector(pieces * L * L * L / 3, indep);
  w.matmul(pieces * L * L * s.dk, L, s.dk, L, indep);
  w.matmul(pieces * L * L * s.dv, L, s.dv, L, indep);
}

/// The masked T x T form in one piece per (batch, head).
FormEstimate estimateQuadratic(const AttentionProblem &p,
                               const TargetDescription &t) {
  Shape s(p);
  Work w(t, s.e);
  double bytes = 0, steps = 1;
  // Softmax: the row-wise softmax between the two matmuls.
  Work softmaxPass(t, s.e);
  double softmaxPassBytes = 0;
  std::ostringstream note;
  note << countStr(s.tq) << " x " << countStr(s.tk) << " score matrix";
  bool causal = isCausal(p);
  double scoreBytes = 4 * s.tq * s.tk; // f32
  bool spills = !fitsOnChip(scoreBytes, t);

  if (p.family == OpFamily::Softmax) {
    double frac = causal ? 0.5 : 1.0; // the masked half is skipped
    w.matmul(frac * 2 * s.tq * s.tk * s.dk * s.bh, s.tq, s.tk, s.dk, s.bh);
    w.matmul(frac * 2 * s.tq * s.tk * s.dv * s.bh, s.tq, s.dv, s.tk, s.bh);
    bytes = s.bh * ioBytes(p, s, s.tq, s.tk);
    double softmaxFlops = frac * s.tq * s.tk * kSoftmaxFlopsPerScore * s.bh;
    if (t.kind == TargetKind::CPU && !spills) {
      // The CPU lowering of this form is the definitional one: the softmax
      // runs as its own passes over the f32 score matrix (max: read; exp:
      // read and write; sum: read), not fused with the matmuls. Measured on
      // the 2-core x86 machine, it is 1.8-4.7x slower than the tiled form at
      // T = 64..256 and for a decode step against a 32k cache; without these
      // transfers the model rated it faster (bench/cpu/decode-results.md).
      bytes += s.bh * kCpuSoftmaxPasses * scoreBytes;
      w.vector(softmaxFlops, s.bh);
    } else if (spills) {
      // S is written by Q K^T and P read by P V; in between, the softmax is a
      // pass of its own that streams S from memory and writes P over it.
      bytes += s.bh * 2 * scoreBytes;
      softmaxPass.vector(softmaxFlops, s.bh);
      softmaxPassBytes = s.bh * 2 * scoreBytes;
    } else {
      w.vector(softmaxFlops, s.bh); // on chip, fused with the matmuls
    }
  } else if (!causal) {
    // Plain linear attention, non-causal: (phi(Q) phi(K)^T) V.
    w.matmul(2 * s.tq * s.tk * s.dk * s.bh, s.tq, s.tk, s.dk, s.bh);
    w.matmul(2 * s.tq * s.tk * s.dv * s.bh, s.tq, s.dv, s.tk, s.bh);
    bytes = s.bh * ioBytes(p, s, s.tq, s.tk);
    if (spills)
      bytes += s.bh * 2 * scoreBytes; // written, read
  } else {
    // Causal linear family (seqLenQ == seqLenK): o = ((Q K^T) (.) M) V, M the
    // causal mask times the decay ratios, plus the initial state's Q S0 and
    // the final state S0 + K^T V.
    double T = s.tq, state = s.dk * s.dv;
    w.matmul(T * T * s.dk * s.bh, T, T, s.dk, s.bh); // Q K^T, half
    w.matmul(T * T * s.dv * s.bh, T, s.dv, T, s.bh); // (..) V, half
    w.matmul(2 * T * state * s.bh, T, s.dv, s.dk, s.bh); // Q S0
    w.matmul(2 * T * state * s.bh, s.dk, s.dv, T, s.bh); // K^T V (or K^T U')
    w.vector(gateFlops(p.family, T, s) * s.bh, s.bh);
    bytes = s.bh * ioBytes(p, s, T, T);
    if (spills)
      bytes += s.bh * 2 * scoreBytes;
    if (isDelta(p.family)) {
      // WY transform of the whole sequence, then U' = U - W S0.
      addWY(w, s, T, s.bh, s.bh);
      w.matmul(2 * T * state * s.bh, T, s.dv, s.dk, s.bh); // W S0
      steps += T; // forward substitution, one row after the other
      if (spills)
        bytes += s.bh * 2 * scoreBytes; // the T x T inverse A
      note << " and triangular inverse";
    }
  }
  if (spills)
    note << ", spilled to memory";
  FormEstimate est;
  est.form = FormKind::Quadratic;
  est.note = note.str();
  if (softmaxPassBytes > 0)
    return finish(est, w, bytes, steps, t, &softmaxPass, softmaxPassBytes);
  return finish(est, w, bytes, steps, t);
}

/// Softmax in FlashAttention tiling: query blocks of C (at most Tq: a decode
/// step is one query row) in parallel, each walking the key/value blocks of C
/// with an online softmax.
FormEstimate estimateFlash(const AttentionProblem &p,
                           const TargetDescription &t, int64_t C) {
  Shape s(p);
  double c = double(C), cq = std::min(c, s.tq);
  double nq = blocksOf(s.tq, cq), nk = blocksOf(s.tk, c);
  // Blocks computed: all, or with causal block skipping those on or below
  // the diagonal (aligned bottom-right when Tk > Tq); diagonal blocks are
  // computed whole: query block i needs min(nk, i + 1 + off) key blocks,
  // summed in closed form (a loop over the blocks hung on T near 2^62).
  // Query blocks shorter than C (Tq < C) are one block that needs all nk.
  double blocks = nq * nk;
  if (isCausal(p) && cq == c) {
    double off = std::max(nk - nq, 0.0);
    // Query blocks below `partial` see fewer than all nk key blocks.
    double partial = std::clamp(nk - 1 - off, 0.0, nq);
    blocks = partial * (1 + off) + partial * (partial - 1) / 2 +
             (nq - partial) * nk;
  }
  double indep = s.bh * nq;
  Work w(t, s.e);
  w.matmul(blocks * 2 * cq * c * s.dk * s.bh, cq, c, s.dk, indep); // Q K^T
  w.matmul(blocks * 2 * cq * c * s.dv * s.bh, cq, s.dv, c, indep); // P V
  w.vector(blocks * cq * c * kSoftmaxFlopsPerScore * s.bh, indep);
  // Online softmax: per block, rescale the output rows and the running sum.
  w.vector(blocks * cq * (s.dv + kExpFlops) * s.bh, indep);
  w.fixed(blocks * s.bh * t.loopIterationNs, indep);
  // Q read and O written once; K/V read once per query block that needs them.
  double bytes =
      s.bh * s.e * (nq * cq * (s.dk + s.dv) + blocks * c * (s.dk + s.dv));
  FormEstimate est;
  est.form = FormKind::Chunkwise;
  est.chunkSize = C;
  std::ostringstream note;
  note << "flash tiling, " << countStr(nq) << " query blocks of "
       << countStr(cq);
  est.note = note.str();
  // The walk over key blocks is sequential per query block, but it hands
  // nothing on between blocks except registers: its per-block cost is the
  // rescaling work above, not a synchronization. One step, as for the
  // quadratic form.
  return finish(est, w, bytes, 1, t);
}

/// Linear family in chunks of C: quadratic inside a chunk, the state carried
/// from chunk to chunk.
FormEstimate estimateLinearChunkwise(const AttentionProblem &p,
                                     const TargetDescription &t, int64_t C) {
  Shape s(p);
  double c = double(C);
  double N = blocksOf(s.tq, c);
  double Tp = N * c; // padded length: the padding is computed too
  double state = s.dk * s.dv;
  double chunksIndep = s.bh * N;
  Work w(t, s.e);
  // Parallel over (batch, head, chunk): intra-chunk attention and the output
  // from the state entering the chunk.
  w.matmul(N * c * c * s.dk * s.bh, c, c, s.dk, chunksIndep); // Q K^T, half
  w.matmul(N * c * c * s.dv * s.bh, c, s.dv, c, chunksIndep); // (..) V, half
  w.matmul(N * 2 * c * state * s.bh, c, s.dv, s.dk, chunksIndep); // Q S
  w.vector(N * gateFlops(p.family, c, s) * s.bh, chunksIndep);
  // The state pass, sequential over chunks: S += K^T V (K^T U' for delta).
  w.matmul(N * 2 * c * state * s.bh, s.dk, s.dv, c, s.bh);
  double steps = N + 1; // the parallel phase, then N state hand-offs
  if (isDelta(p.family)) {
    addWY(w, s, c, N * s.bh, chunksIndep); // parallel over chunks
    w.matmul(N * 2 * c * state * s.bh, c, s.dv, s.dk, s.bh); // U' = U - W S
    steps += c; // forward substitution, all chunks at once
  }
  double bytes = s.bh * ioBytes(p, s, Tp, Tp);
  bool spills = !fitsOnChip(4 * state, t);
  if (spills)
    bytes += s.bh * N * 2 * 4 * state; // state read and written per chunk
  FormEstimate est;
  est.form = FormKind::Chunkwise;
  est.chunkSize = C;
  std::ostringstream note;
  note << countStr(N) << " chunks of " << C;
  if (spills)
    note << ", state spilled per chunk";
  est.note = note.str();
  return finish(est, w, bytes, steps, t);
}

FormEstimate estimateChunkwise(const AttentionProblem &p,
                               const TargetDescription &t, int64_t C) {
  C = std::max<int64_t>(C, 1);
  return p.family == OpFamily::Softmax ? estimateFlash(p, t, C)
                                       : estimateLinearChunkwise(p, t, C);
}

/// Non-causal linear attention as phi(Q) (phi(K)^T V): the Dk x Dv sum first.
FormEstimate estimateReassociated(const AttentionProblem &p,
                                  const TargetDescription &t) {
  Shape s(p);
  double state = s.dk * s.dv;
  Work w(t, s.e);
  w.matmul(2 * s.tk * state * s.bh, s.dk, s.dv, s.tk, s.bh); // K^T V
  w.matmul(2 * s.tq * state * s.bh, s.tq, s.dv, s.dk, s.bh); // Q (K^T V)
  double bytes = s.bh * ioBytes(p, s, s.tq, s.tk);
  if (!fitsOnChip(4 * state, t))
    bytes += s.bh * 2 * 4 * state;
  FormEstimate est;
  est.form = FormKind::Reassociated;
  est.note = "phi(K)^T V first, one Dk x Dv sum";
  return finish(est, w, bytes, 1, t);
}

/// The chunk sizes whose working set fits on chip, in increasing order.
std::vector<int64_t> chunkSizesThatFit(const AttentionProblem &p,
                                       const TargetDescription &t) {
  double dk = double(std::max<int64_t>(p.keyDim, 1));
  double dv = double(std::max<int64_t>(p.valueDim, 1));
  bool gpu = t.kind == TargetKind::GPU;
  std::vector<int64_t> fit;
  for (int64_t C : {16, 32, 64, 128}) {
    double c = double(C);
    // q/k/v/o blocks (double-buffered f32 on CPU, bf16 staging on GPU), the
    // C x C f32 scores, and the f32 state (softmax: the f32 output block).
    double io = c * (dk + dv) * (gpu ? 2 * 2 : 4 * 2);
    double carried = p.family == OpFamily::Softmax ? c * dv * 4 : dk * dv * 4;
    double bytes = io + c * c * 4 + carried;
    double capacity = gpu ? double(t.smemBytesPerUnit) : double(t.l2Bytes);
    if (bytes <= capacity && C % 16 == 0)
      fit.push_back(C);
  }
  return fit;
}

} // namespace

const char *formName(FormKind form) {
  switch (form) {
  case FormKind::Recurrent:
    return "recurrent";
  case FormKind::Quadratic:
    return "quadratic";
  case FormKind::Chunkwise:
    return "chunkwise";
  case FormKind::Reassociated:
    return "reassociated";
  }
  return "unknown";
}

std::vector<FormKind> applicableForms(const AttentionProblem &p) {
  if (p.family == OpFamily::Softmax)
    return {FormKind::Quadratic, FormKind::Chunkwise};
  if (!isCausal(p)) // only plain linear attention can be non-causal
    return {FormKind::Quadratic, FormKind::Reassociated};
  return {FormKind::Recurrent, FormKind::Quadratic, FormKind::Chunkwise};
}

std::vector<int64_t> candidateChunkSizes(const AttentionProblem &p,
                                         const TargetDescription &t) {
  std::vector<int64_t> sizes = chunkSizesThatFit(p, t);
  if (sizes.empty())
    return {16}; // the smallest tile; the lowering still needs a size
  std::vector<std::pair<FormEstimate, int64_t>> timed;
  for (int64_t C : sizes)
    timed.push_back({estimateChunkwise(p, t, C), C});
  // Equal times (memory-bound candidates) are ranked by their compute, then
  // stably: equal estimates keep the smaller chunk first.
  std::stable_sort(timed.begin(), timed.end(),
                   [](const auto &a, const auto &b) {
                     if (a.first.timeNs != b.first.timeNs)
                       return a.first.timeNs < b.first.timeNs;
                     return a.first.computeNs < b.first.computeNs;
                   });
  sizes.clear();
  for (const auto &[estimate, C] : timed)
    sizes.push_back(C);
  return sizes;
}

FormEstimate estimate(const AttentionProblem &p, FormKind form,
                      const TargetDescription &t, int64_t chunkSize) {
  switch (form) {
  case FormKind::Recurrent:
    if (p.family == OpFamily::Softmax || !isCausal(p))
      return notApplicable(form);
    return estimateRecurrent(p, t);
  case FormKind::Quadratic:
    return estimateQuadratic(p, t);
  case FormKind::Chunkwise:
    if (p.family != OpFamily::Softmax && !isCausal(p))
      return notApplicable(form);
    if (chunkSize <= 0)
      chunkSize = candidateChunkSizes(p, t).front();
    return estimateChunkwise(p, t, chunkSize);
  case FormKind::Reassociated:
    if (p.family != OpFamily::Linear || isCausal(p))
      return notApplicable(form);
    return estimateReassociated(p, t);
  }
  return notApplicable(form);
}

std::vector<FormEstimate> rankForms(const AttentionProblem &p,
                                    const TargetDescription &t) {
  std::vector<FormEstimate> all;
  for (FormKind form : applicableForms(p))
    all.push_back(estimate(p, form, t));
  // applicableForms lists forms as Recurrent, Quadratic, Chunkwise,
  // Reassociated, so a stable sort breaks ties in that order.
  std::stable_sort(all.begin(), all.end(),
                   [](const FormEstimate &a, const FormEstimate &b) {
                     return a.timeNs < b.timeNs;
                   });
  return all;
}

} // namespace attn::target
