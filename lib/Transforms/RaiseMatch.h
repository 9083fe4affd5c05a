//===- RaiseMatch.h - attention chains recognized in linalg -----*- C++ -*-===//
//
// attn-raise reads attention from linalg in two layers: RaisePayloadMatch.cpp
// recognizes the ops between and around the products (scale, softmax,
// feature maps) from their payloads; RaiseToAttn.cpp reads the two
// contractions and rewrites the chain into an attn op.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_LIB_TRANSFORMS_RAISEMATCH_H
#define ATTN_LIB_TRANSFORMS_RAISEMATCH_H

#include "attn/Dialect/Attn/IR/Attn.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"

#include <optional>

namespace mlir::attn {

//===----------------------------------------------------------------------===//
// Scale, softmax and feature maps (RaisePayloadMatch.cpp)
//===----------------------------------------------------------------------===//

/// Whether `t` is a tensor of zeros: a splat constant or a linalg.fill of 0.
bool isZeroTensor(Value t);

/// `x = c * y`, `y * c` or `y / c` elementwise with a positive constant c:
/// returns y and the scale.
std::optional<std::pair<Value, double>> matchScale(Value x);

/// linalg.softmax or the explicit chain: returns its input and dim.
std::optional<std::pair<Value, int64_t>> matchSoftmax(Value p);

/// phi(y) as an elementwise op of y keeping its element type: relu
/// (max(y, 0)) or elu + 1 (select(y > 0, y + 1, exp(y))). Returns y.
std::optional<std::pair<Value, FeatureMap>> matchFeatureMap(Value x);

} // namespace mlir::attn

#endif // ATTN_LIB_TRANSFORMS_RAISEMATCH_H
