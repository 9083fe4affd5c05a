//===- LinalgBuilder.cpp - terse construction of linalg on tensors ---------===//
#include "LinalgBuilder.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"

using namespace mlir;
using namespace mlir::attn;

AffineMap LinalgBuilder::proj(unsigned numDims, ArrayRef<unsigned> dims) {
  SmallVector<AffineExpr> exprs;
  for (unsigned d : dims)
    exprs.push_back(d == kUnit ? b.getAffineConstantExpr(0)
                               : b.getAffineDimExpr(d));
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

Value LinalgBuilder::contraction(ValueRange inputs, Value init,
                                 ArrayRef<AffineMap> maps, ScalarFn body) {
  unsigned n = maps.front().getNumDims();
  // New loop order: d0 .. d{n-3}, d{n-1} (the reduction), d{n-2}.
  SmallVector<unsigned> order;
  for (unsigned i = 0; i + 2 < n; ++i)
    order.push_back(i);
  order.append({n - 1, n - 2});
  AffineMap toOld = proj(n, order);
  SmallVector<AffineMap> permuted;
  for (AffineMap m : maps)
    permuted.push_back(m.compose(toOld));
  return generic(inputs, init, permuted, {n - 2}, body);
}

Value LinalgBuilder::map(ValueRange inputs, ArrayRef<OpFoldResult> sizes,
                         Type elementType, ArrayRef<AffineMap> maps,
                         ScalarFn body) {
  Value init = empty(sizes, elementType);
  SmallVector<AffineMap> allMaps(maps);
  unsigned rank = sizes.size();
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

/// A slice of `full` covering [offset, offset + size) of `dim` and all of
/// the other dimensions.
static void rangeSlice(OpBuilder &b, Location loc, Value full, int64_t dim,
                       OpFoldResult offset, OpFoldResult size,
                       SmallVector<OpFoldResult> &offsets,
                       SmallVector<OpFoldResult> &sizes,
                       SmallVector<OpFoldResult> &strides) {
  sizes = tensor::getMixedSizes(b, loc, full);
  int64_t rank = sizes.size();
  offsets.assign(rank, b.getIndexAttr(0));
  strides.assign(rank, b.getIndexAttr(1));
  offsets[dim] = offset;
  sizes[dim] = size;
}

/// The static shape of `full` with `dim` resized to `size`.
static RankedTensorType sliceType(Value full, int64_t dim, OpFoldResult size) {
  auto type = cast<RankedTensorType>(full.getType());
  SmallVector<int64_t> shape(type.getShape());
  std::optional<int64_t> s = getConstantIntValue(size);
  shape[dim] = s ? *s : ShapedType::kDynamic;
  return RankedTensorType::get(shape, type.getElementType());
}

Value LinalgBuilder::sliceRange(Value src, int64_t dim, OpFoldResult offset,
                                OpFoldResult size) {
  SmallVector<OpFoldResult> offsets, sizes, strides;
  rangeSlice(b, loc, src, dim, offset, size, offsets, sizes, strides);
  return tensor::ExtractSliceOp::create(
      b, loc, sliceType(src, dim, size), src, offsets, sizes, strides);
}

Value LinalgBuilder::insertRange(Value part, Value dest, int64_t dim,
                                 OpFoldResult offset) {
  SmallVector<OpFoldResult> offsets, sizes, strides;
  rangeSlice(b, loc, dest, dim, offset, this->size(part, dim), offsets, sizes,
             strides);
  return tensor::InsertSliceOp::create(b, loc, part, dest, offsets, sizes,
                                       strides);
}

Value LinalgBuilder::padWithZeros(Value src, int64_t dim, OpFoldResult size) {
  auto type = cast<RankedTensorType>(src.getType());
  SmallVector<OpFoldResult> low(type.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> high(type.getRank(), b.getIndexAttr(0));
  AffineExpr d0, d1;
  bindDims(b.getContext(), d0, d1);
  high[dim] = affine::makeComposedFoldedAffineApply(
      b, loc, d0 - d1, {size, this->size(src, dim)});
  Value zero = arith::ConstantOp::create(
      b, loc, b.getZeroAttr(type.getElementType()));
  Type resultType = sliceType(src, dim, size);
  return tensor::PadOp::create(b, loc, resultType, src, low, high, zero);
}
