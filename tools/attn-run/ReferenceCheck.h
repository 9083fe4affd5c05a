//===- ReferenceCheck.h - tie a function to the float64 reference -*- C++ -*-===//
//
// attn-run can check a function whose body is one attention op fed by the
// function's arguments and returning its results. This records, before the
// function is lowered, which argument plays which role and the op's options,
// so that inputs can be drawn per role and the float64 reference
// (lib/Reference) computed on the very same inputs.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TOOLS_ATTN_RUN_REFERENCECHECK_H
#define ATTN_TOOLS_ATTN_RUN_REFERENCECHECK_H

#include "HostArray.h"
#include "attn/Reference/Reference.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <optional>
#include <string>
#include <vector>

namespace attn::run {

enum class Role {
  Other,
  Q,
  K,
  V,
  Gate,
  Beta,
  InitialState,
  CuSeqlens,  // int32 [N + 1] packed-sequence offsets
  Projection, // the FAVOR+ random projection W [m, Dk]
  DOut,        // a gradient op's d_o
  DFinalState, // a gradient op's d_final_state
};
const char *roleName(Role role);

enum class OpKind {
  Softmax,
  Linear,
  Gated,
  Delta,
  LinearGrad,
  GatedGrad,
  DeltaGrad,
  SoftmaxGrad
};

/// One attention op and how the function's arguments and results map to it.
struct OpBinding {
  OpKind kind = OpKind::Softmax;
  std::vector<Role> argRoles;   // per function argument
  /// "o" or "final_state"; for a gradient op "dq", "dk", "dv", "dbeta",
  /// "dg" or "d_initial_state".
  std::vector<std::string> resultNames;
  bool causal = true;
  int64_t window = 0; // sliding window of softmax attention; 0: none
  double scale = 1.0;
  reference::FeatureMap featureMap = reference::FeatureMap::Identity;
  bool normalize = false;
};

/// Binds `func` if its body is one attention op (or gradient op) on its
/// arguments whose results it returns; otherwise returns nullopt and
/// explains in `why`.
std::optional<OpBinding> bindSingleAttentionOp(mlir::func::FuncOp func,
                                               std::string &why);

/// The float64 reference outputs, one per function result.
std::vector<reference::Array> computeReference(const OpBinding &binding,
                                               std::vector<HostArray> &inputs);

} // namespace attn::run

#endif // ATTN_TOOLS_ATTN_RUN_REFERENCECHECK_H
