//===- ResolveTarget.h - a pass's target option to a description -*- C++ -*-===//
//
// Every pass with a `target` option (selection, the CPU vectorizers) turns it
// into a target description the same way, with the same located error.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TRANSFORMS_RESOLVETARGET_H
#define ATTN_TRANSFORMS_RESOLVETARGET_H

#include "attn/TargetInfo/TargetDescription.h"

#include "mlir/IR/Operation.h"
#include "mlir/Support/LLVM.h"

namespace mlir::attn {

/// The description of a preset name or of a .json target file; otherwise an
/// error on `op` that lists the presets (or says what is wrong with the
/// file).
FailureOr<::attn::target::TargetDescription> resolveTarget(Operation *op,
                                                           StringRef name);

} // namespace mlir::attn

#endif // ATTN_TRANSFORMS_RESOLVETARGET_H
