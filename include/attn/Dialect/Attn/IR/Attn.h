//===- Attn.h - the attn dialect ---------------------------------*- C++ -*-===//
//
// The attn dialect: its ops (SoftmaxAttentionOp, LinearAttentionOp,
// GatedLinearAttentionOp, DeltaRuleOp), attributes (FeatureMap, Form) and
// AttentionOpInterface, all generated from the .td files beside this header,
// and registerAttnDialect(). attn/InitAttn.h registers everything at once.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_DIALECT_ATTN_IR_ATTN_H
#define ATTN_DIALECT_ATTN_IR_ATTN_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <cmath>
#include <optional>

namespace mlir {
class DialectRegistry;
namespace attn {
class AttentionOpInterface;
namespace detail {
/// The checks every attention op shares (ranks, B/T/H/D agreement, element
/// types, scale, states, form); op verifiers add their own operands' checks.
LogicalResult verifyAttentionOp(Operation *op);
} // namespace detail
} // namespace attn
} // namespace mlir

#include "attn/Dialect/Attn/IR/AttnOpsDialect.h.inc"
#include "attn/Dialect/Attn/IR/AttnEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "attn/Dialect/Attn/IR/AttnAttrs.h.inc"

#include "attn/Dialect/Attn/IR/AttnInterfaces.h.inc"

#define GET_OP_CLASSES
#include "attn/Dialect/Attn/IR/AttnOps.h.inc"

namespace mlir::attn {
/// Registers the attn dialect (and nothing else) in `registry`.
void registerAttnDialect(DialectRegistry &registry);
} // namespace mlir::attn

#endif // ATTN_DIALECT_ATTN_IR_ATTN_H
