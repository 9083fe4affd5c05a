//===- LinalgBuilder.h - terse construction of linalg on tensors -*- C++ -*-===//
//
// The attn lowerings build many small linalg.generic ops over f32 tensors whose
// indexing maps are projections of the loop dimensions. This helper keeps each
// of them to a line or two so the lowerings read like the math.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_LIB_TRANSFORMS_LINALGBUILDER_H
#define ATTN_LIB_TRANSFORMS_LINALGBUILDER_H

#include "attn/Dialect/Attn/IR/Attn.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"

namespace mlir::attn {

/// Body of a generic: (builder, loc, block arguments) -> the value to yield.
using ScalarFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

class LinalgBuilder {
public:
  LinalgBuilder(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  OpBuilder &builder() { return b; }
  Location getLoc() const { return loc; }
  Type f32() { return b.getF32Type(); }

  /// The map (d0..d{numDims-1}) -> (d{dims[0]}, d{dims[1]}, ...); an entry
  /// kUnit stands for the constant 0 (indexing a size-1 dimension).
  AffineMap proj(unsigned numDims, ArrayRef<unsigned> dims);
  static constexpr unsigned kUnit = ~0u;

  /// Sizes of `tensor`, static where known.
  SmallVector<OpFoldResult> sizes(Value tensor);
  OpFoldResult size(Value tensor, int64_t dim);

  /// A new f32 tensor of `sizes`, uninitialized or filled with `value`.
  Value empty(ArrayRef<OpFoldResult> sizes, Type elementType = {});
  Value filled(ArrayRef<OpFoldResult> sizes, double value);

  /// A linalg.generic with one result written into `init`. `maps` holds one
  /// map per input followed by the map of `init`; `reductionDims` lists the
  /// loop dimensions that are reduced (the others are parallel).
  Value generic(ValueRange inputs, Value init, ArrayRef<AffineMap> maps,
                ArrayRef<unsigned> reductionDims, ScalarFn body);

  /// A contraction written with its one reduction as the last loop
  /// dimension, emitted with that reduction second to last: the innermost
  /// loop then runs over the last output dimension, contiguous in a
  /// row-major output, which LLVM vectorizes without reassociating the sum.
  Value contraction(ValueRange inputs, Value init, ArrayRef<AffineMap> maps,
                    ScalarFn body);

  /// Elementwise map of same-shaped (or broadcast by `maps`) inputs into a
  /// new tensor of `resultType`'s element type shaped like `shapeOf`.
  Value map(ValueRange inputs, Value shapeOf, Type elementType,
            ArrayRef<AffineMap> maps, ScalarFn body) {
    return map(inputs, sizes(shapeOf), elementType, maps, body);
  }
  /// The same, into a new tensor of `sizes`.
  Value map(ValueRange inputs, ArrayRef<OpFoldResult> sizes, Type elementType,
            ArrayRef<AffineMap> maps, ScalarFn body);

  /// A fresh copy of `tensor`: a destination the lowering may update in place
  /// without writing into a function argument's buffer.
  Value copy(Value tensor);

  /// Converts every element of `tensor` to `elementType` (no-op if equal).
  Value convertElements(Value tensor, Type elementType);

  /// Scalar helpers usable inside bodies.
  static Value toF32(OpBuilder &b, Location loc, Value x);
  static Value fromF32(OpBuilder &b, Location loc, Value x, Type to);
  static Value constF32(OpBuilder &b, Location loc, double v);

  /// src[..., offset : offset + size, ...] along `dim`. Slices keep their
  /// rank: a rank-reducing slice with several unit dimensions is ambiguous,
  /// and canonicalization may re-infer it differently.
  Value sliceRange(Value src, int64_t dim, OpFoldResult offset,
                   OpFoldResult size);
  /// Writes `part` into dest[..., offset : offset + size(part), ...].
  Value insertRange(Value part, Value dest, int64_t dim, OpFoldResult offset);
  /// `src` padded with zeros at the end of `dim` up to `size`.
  Value padWithZeros(Value src, int64_t dim, OpFoldResult size);

private:
  OpBuilder &b;
  Location loc;
};

} // namespace mlir::attn

#endif // ATTN_LIB_TRANSFORMS_LINALGBUILDER_H
