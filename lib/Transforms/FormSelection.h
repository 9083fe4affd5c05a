//===- FormSelection.h - attn ops as cost-model problems ---------*- C++ -*-===//
#ifndef ATTN_LIB_TRANSFORMS_FORMSELECTION_H
#define ATTN_LIB_TRANSFORMS_FORMSELECTION_H

#include "attn/Dialect/Attn/IR/Attn.h"
#include "attn/TargetInfo/CostModel.h"
#include "attn/Transforms/ResolveTarget.h"

namespace mlir::attn {

/// The cost-model view of `op`; dynamic B and T are estimated as 1 and 4096,
/// dynamic head dims as 128.
::attn::target::AttentionProblem describeProblem(AttentionOpInterface op);

::attn::target::FormKind toFormKind(Form form);
Form fromFormKind(::attn::target::FormKind form);

} // namespace mlir::attn

#endif // ATTN_LIB_TRANSFORMS_FORMSELECTION_H
