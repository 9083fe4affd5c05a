//===- CostModel.h - estimated cost of each form of an attention op -*- C++ -*-===//
//
// Plain data in, plain data out (no MLIR), so that the decisions can be pinned
// by unit tests on a table of shapes and printed by explain mode.
//
// The estimate of a form is a roofline time: max(flops / effective
// throughput, bytes / bandwidth) plus the sequential steps it cannot run in
// parallel times the target's step cost, with the throughput reduced when the
// form offers less independent work than the target has parallel units.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TARGETINFO_COSTMODEL_H
#define ATTN_TARGETINFO_COSTMODEL_H

#include "attn/TargetInfo/TargetDescription.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attn::target {

enum class OpFamily { Softmax, Linear, GatedScalar, GatedVector, Delta, GatedDelta };
enum class FormKind { Recurrent, Quadratic, Chunkwise, Reassociated };

const char *formName(FormKind form);

/// The problem an op instance poses. Sizes are static here; the caller
/// substitutes an estimate for dynamic ones.
struct AttentionProblem {
  OpFamily family = OpFamily::Linear;
  int64_t batch = 1, seqLenQ = 1, seqLenK = 1, heads = 1, keyDim = 64,
          valueDim = 64;
  bool causal = true;
  int64_t elementBytes = 4; // of q/k/v/o
};

/// One candidate form with its estimate.
struct FormEstimate {
  FormKind form;
  int64_t chunkSize = 0;     // for Chunkwise (and the tile of tiled softmax)
  double flops = 0;
  double bytes = 0;
  double sequentialSteps = 0;
  double timeNs = 0;         // the estimate compared across candidates
  double computeNs = 0;      // its compute part; breaks ties of memory-bound
                             // candidates (compute hides under memory traffic
                             // only partly)
  std::string note;          // why it costs what it does, one short phrase
};

/// The forms that can compute `p` exactly: recurrent (causal linear family),
/// quadratic (all), chunkwise (causal ops), reassociated (non-causal linear).
std::vector<FormKind> applicableForms(const AttentionProblem &p);

/// Chunk sizes the chunkwise lowering may use on `t`, best first by the
/// target's constraints (vector width, cache / shared-memory fit).
std::vector<int64_t> candidateChunkSizes(const AttentionProblem &p,
                                         const TargetDescription &t);

/// The estimate of one form; for Chunkwise with chunkSize = 0 the best
/// candidate chunk size is chosen.
FormEstimate estimate(const AttentionProblem &p, FormKind form,
                      const TargetDescription &t, int64_t chunkSize = 0);

/// Every applicable form's estimate, cheapest first.
std::vector<FormEstimate> rankForms(const AttentionProblem &p,
                                    const TargetDescription &t);

} // namespace attn::target

#endif // ATTN_TARGETINFO_COSTMODEL_H
