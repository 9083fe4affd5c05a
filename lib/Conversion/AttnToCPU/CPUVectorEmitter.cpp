//===- CPUVectorEmitter.cpp - building vector loops over memrefs ----------===//
#include "CPUVectorEmitter.h"

#include "attn/TargetInfo/TargetDescription.h"
#include "attn/Transforms/ResolveTarget.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::attn;

std::optional<unsigned> mlir::attn::mapResultDim(AffineMap map, unsigned i) {
  AffineExpr e = map.getResult(i);
  if (auto d = dyn_cast<AffineDimExpr>(e))
    return d.getPosition();
  if (auto c = dyn_cast<AffineConstantExpr>(e); c && c.getValue() == 0)
    return kConstantZeroDim;
  return std::nullopt;
}

bool mlir::attn::isDimsAndZeros(AffineMap map) {
  for (unsigned i = 0; i < map.getNumResults(); ++i)
    if (!mapResultDim(map, i))
      return false;
  return true;
}

bool mlir::attn::hasUnitInnermostStride(Value memref) {
  auto type = dyn_cast<MemRefType>(memref.getType());
  if (!type || type.getRank() == 0)
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)))
    return false;
  return strides.back() == 1;
}

FailureOr<CPUVectorShape>
mlir::attn::resolveCPUVectorShape(Operation *op, StringRef targetName,
                                  StringRef pass) {
  FailureOr<::attn::target::TargetDescription> target =
      resolveTarget(op, targetName);
  if (failed(target))
    return failure();
  if (target->kind != ::attn::target::TargetKind::CPU ||
      target->vectorBits < 128)
    return op->emitError() << pass << ": '" << targetName
                           << "' is not a CPU target";
  return CPUVectorShape{target->vectorBits / 32,
                        target->vectorRegisters ? target->vectorRegisters
                                                : 16};
}

Value CPUVectorEmitter::index(int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value CPUVectorEmitter::plus(Value base, int64_t offset) {
  if (offset == 0)
    return base;
  return arith::AddIOp::create(b, loc, base, index(offset));
}

SmallVector<Value> CPUVectorEmitter::indices(AffineMap map) {
  SmallVector<Value> idx;
  for (AffineExpr e : map.getResults()) {
    Value v;
    if (auto d = dyn_cast<AffineDimExpr>(e))
      v = dims[d.getPosition()];
    idx.push_back(v ? v : index(0));
  }
  return idx;
}

Value CPUVectorEmitter::toF32(Value x) {
  if (getElementTypeOrSelf(x.getType()).isF32())
    return x;
  Type f32 = b.getF32Type();
  Type to = f32;
  if (auto vec = dyn_cast<VectorType>(x.getType()))
    to = VectorType::get(vec.getShape(), f32);
  return arith::ExtFOp::create(b, loc, to, x);
}

Value CPUVectorEmitter::laneMask(int64_t lanes) {
  return vector::ConstantMaskOp::create(
      b, loc, VectorType::get({vw}, b.getI1Type()), ArrayRef<int64_t>{lanes});
}

Value CPUVectorEmitter::loadVector(Value mem, ValueRange idx, int64_t lanes) {
  Type elt = cast<MemRefType>(mem.getType()).getElementType();
  auto type = VectorType::get({vw}, elt);
  if (lanes == vw)
    return vector::LoadOp::create(b, loc, type, mem, idx);
  Value zero = arith::ConstantOp::create(
      b, loc, type, DenseElementsAttr::get(type, b.getZeroAttr(elt)));
  return vector::MaskedLoadOp::create(b, loc, type, mem, idx, laneMask(lanes),
                                      zero);
}

void CPUVectorEmitter::storeVector(Value value, Value mem, ValueRange idx,
                                   int64_t lanes) {
  if (lanes == vw)
    vector::StoreOp::create(b, loc, value, mem, idx);
  else
    vector::MaskedStoreOp::create(b, loc, mem, idx, laneMask(lanes), value);
}

void CPUVectorEmitter::forLoop(int64_t lower, int64_t upper, int64_t step,
                               function_ref<void(Value)> body) {
  if (lower >= upper)
    return;
  auto loop =
      scf::ForOp::create(b, loc, index(lower), index(upper), index(step));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(loop.getBody()->getTerminator());
  body(loop.getInductionVar());
}
