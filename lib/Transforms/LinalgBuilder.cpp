//===- LinalgBuilder.cpp - terse construction of linalg on tensors ---------===//
#include "LinalgBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"

using namespace mlir;
using namespace mlir::attn;

AffineMap LinalgBuilder::proj(unsigned numDims, ArrayRef<unsigned> dims) {
  SmallVector<AffineExpr> exprs;
  for (unsigned d : dims)
    exprs.push_back(b.getAffineDimExpr(d));
  return AffineMap::get(numDims, 0, exprs, b.getContext());
}

SmallVector<OpFoldResult> LinalgBuilder::sizes(Value tensor) {
  return tensor::getMixedSizes(b, loc, tensor);
}

OpFoldResult LinalgBuilder::size(Value tensor, int64_t dim) {
  return tensor::getMixedSize(b, loc, tensor, dim);
}

Value LinalgBuilder::empty(ArrayRef<OpFoldResult> sizes, Type elementType) {
  return tensor::EmptyOp::create(b, loc, sizes,
                                 elementType ? elementType : f32());
}

Value LinalgBuilder::filled(ArrayRef<OpFoldResult> sizes, double value) {
  Value init = empty(sizes);
  Value c = constF32(b, loc, value);
  return linalg::FillOp::create(b, loc, c, init).getResult(0);
}

Value LinalgBuilder::generic(ValueRange inputs, Value init,
                             ArrayRef<AffineMap> maps,
                             ArrayRef<unsigned> reductionDims, ScalarFn body) {
  unsigned numDims = maps.front().getNumDims();
  SmallVector<utils::IteratorType> iters(numDims,
                                         utils::IteratorType::parallel);
  for (unsigned d : reductionDims)
    iters[d] = utils::IteratorType::reduction;
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(nb, nl, body(nb, nl, args));
      });
  return op.getResult(0);
}

Value LinalgBuilder::map(ValueRange inputs, Value shapeOf, Type elementType,
                         ArrayRef<AffineMap> maps, ScalarFn body) {
  Value init = empty(sizes(shapeOf), elementType);
  SmallVector<AffineMap> allMaps(maps);
  unsigned rank = cast<ShapedType>(shapeOf.getType()).getRank();
  allMaps.push_back(b.getMultiDimIdentityMap(rank));
  return generic(inputs, init, allMaps, {},
                 [&](OpBuilder &nb, Location nl, ValueRange args) {
                   return body(nb, nl, args.drop_back());
                 });
}

Value LinalgBuilder::copy(Value tensor) {
  auto type = cast<ShapedType>(tensor.getType());
  Value init = empty(sizes(tensor), type.getElementType());
  return linalg::CopyOp::create(b, loc, tensor, init).getResult(0);
}

Value LinalgBuilder::convertElements(Value tensor, Type elementType) {
  auto type = cast<ShapedType>(tensor.getType());
  if (type.getElementType() == elementType)
    return tensor;
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  return map({tensor}, tensor, elementType, {id},
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               return fromF32(nb, nl, toF32(nb, nl, a[0]), elementType);
             });
}

Value LinalgBuilder::toF32(OpBuilder &b, Location loc, Value x) {
  if (x.getType().isF32())
    return x;
  return arith::ExtFOp::create(b, loc, b.getF32Type(), x);
}

Value LinalgBuilder::fromF32(OpBuilder &b, Location loc, Value x, Type to) {
  if (to == x.getType())
    return x;
  return arith::TruncFOp::create(b, loc, to, x);
}

Value LinalgBuilder::constF32(OpBuilder &b, Location loc, double v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

/// Offsets/sizes/strides selecting index `t` of dimension 1 of `full`.
static void stepSlice(OpBuilder &b, Location loc, Value full, Value t,
                      SmallVector<OpFoldResult> &offsets,
                      SmallVector<OpFoldResult> &sizes,
                      SmallVector<OpFoldResult> &strides) {
  sizes = tensor::getMixedSizes(b, loc, full);
  int64_t rank = sizes.size();
  offsets.assign(rank, b.getIndexAttr(0));
  strides.assign(rank, b.getIndexAttr(1));
  offsets[1] = t;
  sizes[1] = b.getIndexAttr(1);
}

static RankedTensorType dropDim1(Value full) {
  auto type = cast<RankedTensorType>(full.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape.erase(shape.begin() + 1);
  return RankedTensorType::get(shape, type.getElementType());
}

Value LinalgBuilder::sliceStep(Value src, Value t) {
  SmallVector<OpFoldResult> offsets, sizes, strides;
  stepSlice(b, loc, src, t, offsets, sizes, strides);
  return tensor::ExtractSliceOp::create(b, loc, dropDim1(src), src, offsets,
                                        sizes, strides);
}

Value LinalgBuilder::insertStep(Value step, Value dest, Value t) {
  SmallVector<OpFoldResult> offsets, sizes, strides;
  stepSlice(b, loc, dest, t, offsets, sizes, strides);
  return tensor::InsertSliceOp::create(b, loc, step, dest, offsets, sizes,
                                       strides);
}
