//===- FormSelection.cpp - attn-select-form and attn-select-chunk ----------===//
//
// Both passes only read the op through AttentionOpInterface, turn it into the
// plain AttentionProblem the cost model (lib/TargetInfo) takes, and record its
// decision as attributes, so that every decision is visible in the IR and
// a user can override it by setting the attribute first.
//
//===----------------------------------------------------------------------===//
#include "FormSelection.h"

#include "attn/Transforms/Passes.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Format.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNSELECTFORM
#define GEN_PASS_DEF_ATTNSELECTCHUNK
#include "attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;
namespace tgt = ::attn::target;

tgt::AttentionProblem mlir::attn::describeProblem(AttentionOpInterface op) {
  auto orElse = [](int64_t v, int64_t fallback) {
    return ShapedType::isDynamic(v) ? fallback : v;
  };
  tgt::AttentionProblem p;
  p.batch = orElse(op.getBatchSize(), 1);
  p.seqLenQ = orElse(op.getQuerySeqLen(), 4096);
  p.seqLenK = orElse(op.getKeySeqLen(), p.seqLenQ);
  p.heads = orElse(op.getNumHeads(), 1);
  // FAVOR+: the products and the state run over the m features.
  p.keyDim = orElse(op.getStateKeyDim(), 128);
  p.valueDim = orElse(op.getValueDim(), 128);
  // Packed sequences: each of the N sequences is a problem of its own (its
  // own (sequence, head) iteration after attn-parallelize-heads), of the
  // average length.
  if (op.hasPackedSequences()) {
    int64_t n = orElse(op.getNumSequences(), 1);
    p.batch = n;
    p.seqLenQ = std::max<int64_t>(1, (p.seqLenQ + n - 1) / n);
    p.seqLenK = std::max<int64_t>(1, (p.seqLenK + n - 1) / n);
  }
  p.causal = op.isCausal();
  p.elementBytes = op.getInputElementType().getIntOrFloatBitWidth() / 8;
  Operation *raw = op.getOperation();
  if (isa<SoftmaxAttentionOp>(raw))
    p.family = tgt::OpFamily::Softmax;
  else if (isa<LinearAttentionOp>(raw))
    p.family = tgt::OpFamily::Linear;
  else if (isa<GatedLinearAttentionOp>(raw))
    p.family = op.getGateKind() == GateKind::Vector
                   ? tgt::OpFamily::GatedVector
                   : tgt::OpFamily::GatedScalar;
  else
    p.family = op.getGateKind() == GateKind::None ? tgt::OpFamily::Delta
                                                  : tgt::OpFamily::GatedDelta;
  return p;
}

tgt::FormKind mlir::attn::toFormKind(Form form) {
  switch (form) {
  case Form::Recurrent:
    return tgt::FormKind::Recurrent;
  case Form::Quadratic:
    return tgt::FormKind::Quadratic;
  case Form::Chunkwise:
    return tgt::FormKind::Chunkwise;
  case Form::Reassociated:
    return tgt::FormKind::Reassociated;
  }
  llvm_unreachable("unknown form");
}

Form mlir::attn::fromFormKind(tgt::FormKind form) {
  switch (form) {
  case tgt::FormKind::Recurrent:
    return Form::Recurrent;
  case tgt::FormKind::Quadratic:
    return Form::Quadratic;
  case tgt::FormKind::Chunkwise:
    return Form::Chunkwise;
  case tgt::FormKind::Reassociated:
    return Form::Reassociated;
  }
  llvm_unreachable("unknown form");
}

/// "1.23 ms" / "45.6 us" / "789 ns".
static std::string formatTime(double ns) {
  std::string s;
  llvm::raw_string_ostream os(s);
  if (ns >= 1e6)
    os << llvm::format("%.3g ms", ns / 1e6);
  else if (ns >= 1e3)
    os << llvm::format("%.3g us", ns / 1e3);
  else
    os << llvm::format("%.3g ns", ns);
  return s;
}

static std::string describe(const tgt::FormEstimate &e) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << tgt::formName(e.form);
  if (e.form == tgt::FormKind::Chunkwise)
    os << "(C=" << e.chunkSize << ")";
  os << " " << formatTime(e.timeNs)
     << llvm::format(" [%.3g GFLOP, %.3g MB, %.0f steps", e.flops / 1e9,
                     e.bytes / 1e6, e.sequentialSteps);
  if (!e.note.empty())
    os << "; " << e.note;
  os << "]";
  return s;
}

namespace {

struct AttnSelectFormPass
    : mlir::attn::impl::AttnSelectFormBase<AttnSelectFormPass> {
  using Base::Base;

  void runOnOperation() override {
    std::optional<Form> forced;
    if (forcedForm != "auto") {
      forced = symbolizeForm(forcedForm);
      if (!forced) {
        getOperation()->emitError()
            << "attn-select-form: unknown form '" << forcedForm
            << "'; expected auto, recurrent, quadratic, chunkwise or "
               "reassociated";
        return signalPassFailure();
      }
    }
    FailureOr<tgt::TargetDescription> target =
        resolveTarget(getOperation(), targetName);
    if (failed(target))
      return signalPassFailure();

    WalkResult result = getOperation()->walk([&](AttentionOpInterface op) {
      return succeeded(select(op, forced, *target)) ? WalkResult::advance()
                                                    : WalkResult::interrupt();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }

  LogicalResult select(AttentionOpInterface op, std::optional<Form> forced,
                       const tgt::TargetDescription &target) {
    tgt::AttentionProblem problem = describeProblem(op);
    std::vector<tgt::FormKind> applicable = tgt::applicableForms(problem);
    auto isApplicable = [&](Form f) {
      return llvm::is_contained(applicable, toFormKind(f));
    };
    std::string reason;
    if (std::optional<Form> own = op.getForm()) {
      reason = "set on the op";
    } else if (forced) {
      if (!isApplicable(*forced)) {
        InFlightDiagnostic diag = op->emitOpError()
                                  << "form '" << stringifyForm(*forced)
                                  << "' (forced by attn-select-form) does not "
                                     "apply; applicable forms:";
        for (tgt::FormKind f : applicable)
          diag << " " << tgt::formName(f);
        return diag;
      }
      op.setForm(*forced);
      reason = "forced by the pass option";
    } else {
      std::vector<tgt::FormEstimate> ranked = tgt::rankForms(problem, target);
      const tgt::FormEstimate *best = &ranked.front();
      reason = "cheapest estimate";
      // Packed sequences: their lengths are run-time data and the estimate
      // used their average; a form quadratic in the length would be a trap
      // for one long sequence among short ones.
      if (op.hasPackedSequences()) {
        auto linear = llvm::find_if(ranked, [](const tgt::FormEstimate &e) {
          return e.form != tgt::FormKind::Quadratic;
        });
        if (linear != ranked.end()) {
          best = &*linear;
          reason = "cheapest estimate linear in each packed sequence's length";
        }
      }
      op.setForm(fromFormKind(best->form));
    }
    if (explain) {
      InFlightDiagnostic remark = op->emitRemark()
                                  << "attn-select-form on " << target.name
                                  << ": ";
      for (const tgt::FormEstimate &e : tgt::rankForms(problem, target))
        remark << describe(e) << "; ";
      remark << "chosen: " << stringifyForm(*op.getForm()) << " (" << reason
             << ")";
    }
    return success();
  }
};

struct AttnSelectChunkPass
    : mlir::attn::impl::AttnSelectChunkBase<AttnSelectChunkPass> {
  using Base::Base;

  void runOnOperation() override {
    if (chunkSize < 0) {
      getOperation()->emitError()
          << "attn-select-chunk: chunk-size must be positive, got "
          << static_cast<int64_t>(chunkSize);
      return signalPassFailure();
    }
    FailureOr<tgt::TargetDescription> target =
        resolveTarget(getOperation(), targetName);
    if (failed(target))
      return signalPassFailure();
    getOperation()->walk([&](AttentionOpInterface op) {
      std::optional<Form> form = op.getForm();
      if (form != Form::Chunkwise || op.getChunkSize())
        return;
      tgt::AttentionProblem problem = describeProblem(op);
      int64_t chosen = chunkSize;
      if (chosen == 0)
        chosen = tgt::estimate(problem, tgt::FormKind::Chunkwise, *target)
                     .chunkSize;
      op.setChunkSize(static_cast<uint64_t>(chosen));
      if (!explain)
        return;
      InFlightDiagnostic remark = op->emitRemark()
                                  << "attn-select-chunk on " << target->name
                                  << ": ";
      for (int64_t c : tgt::candidateChunkSizes(problem, *target))
        remark << describe(tgt::estimate(problem, tgt::FormKind::Chunkwise,
                                         *target, c))
               << "; ";
      remark << "chosen: C=" << chosen
             << (chunkSize ? " (forced by the pass option)" : "");
    });
  }
};

} // namespace
