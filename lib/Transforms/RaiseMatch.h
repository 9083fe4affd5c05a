//===- RaiseMatch.h - attention chains recognized in linalg -----*- C++ -*-===//
//
// attn-raise reads attention from linalg in two layers: RaisePayloadMatch.cpp
// recognizes the ops between and around the products (scale, softmax,
// feature maps) from their payloads, RaiseChainMatch.cpp the two
// contractions and the attention role of every dimension; RaiseToAttn.cpp
// validates a chain and rewrites it into an attn op.
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

//===----------------------------------------------------------------------===//
// Contractions and roles (RaiseChainMatch.cpp)
//===----------------------------------------------------------------------===//

/// A contraction with one m, n and k dim and at most two batch dims,
/// accumulating into zeros.
struct Contraction {
  linalg::LinalgOp op;
  linalg::ContractionDimensions dims;

  AffineMap map(unsigned operand) {
    return op.getIndexingMapsArray()[operand];
  }
};

/// `v` as such a contraction, if it is one.
std::optional<Contraction> matchContraction(Value v);

/// The role of a dimension in attention; attn's layout orders them.
enum class Role { B, H, T, S, Dk, Dv };
using Roles = SmallVector<Role, 4>;

/// Roles of the operands of a raised chain, each in its own layout.
struct Chain {
  bool softmax = false;
  double scale = 1.0;
  FeatureMap featureMap = FeatureMap::Identity;
  Value q, k, v, o;
  Roles qRoles, kRoles, vRoles, oRoles;
};

/// Tries to read `outer` (the second product) as attention whose first
/// product is its input `composite`. `reassociated` picks which operands
/// play Q, K, V when there is no softmax: (Q K^T) V or Q (K^T V).
std::optional<Chain> matchChain(Contraction &outer, unsigned composite,
                                bool reassociated);

} // namespace mlir::attn

#endif // ATTN_LIB_TRANSFORMS_RAISEMATCH_H
