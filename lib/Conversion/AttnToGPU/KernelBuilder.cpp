//===- KernelBuilder.cpp - building blocks of the attn GPU kernels --------===//
#include "KernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn::gpu_codegen;

KernelBuilder::KernelBuilder(OpBuilder &b, Location loc, Value dynamicSmem,
                             int64_t threads)
    : builder(b), location(loc), smem(dynamicSmem), numThreads(threads) {
  assert(threads % 32 == 0 && "whole warps");
  tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  lane = gpu::LaneIdOp::create(b, loc, /*upper_bound=*/nullptr);
  warp = div(tid, idx(32));
}

Value KernelBuilder::idx(int64_t v) {
  return arith::ConstantIndexOp::create(builder, location, v);
}
Value KernelBuilder::f32(double v) {
  return arith::ConstantOp::create(builder, location,
                                   builder.getF32FloatAttr(v));
}
Value KernelBuilder::i1(bool v) {
  return arith::ConstantOp::create(builder, location, builder.getBoolAttr(v));
}

Value KernelBuilder::add(Value a, Value c) {
  return arith::AddIOp::create(builder, location, a, c);
}
Value KernelBuilder::sub(Value a, Value c) {
  return arith::SubIOp::create(builder, location, a, c);
}
Value KernelBuilder::mul(Value a, Value c) {
  return arith::MulIOp::create(builder, location, a, c);
}
Value KernelBuilder::div(Value a, Value c) {
  return arith::DivUIOp::create(builder, location, a, c);
}
Value KernelBuilder::rem(Value a, Value c) {
  return arith::RemUIOp::create(builder, location, a, c);
}
Value KernelBuilder::lt(Value a, Value c) {
  return arith::CmpIOp::create(builder, location, arith::CmpIPredicate::slt, a,
                               c);
}
Value KernelBuilder::le(Value a, Value c) {
  return arith::CmpIOp::create(builder, location, arith::CmpIPredicate::sle, a,
                               c);
}
Value KernelBuilder::eq(Value a, Value c) {
  return arith::CmpIOp::create(builder, location, arith::CmpIPredicate::eq, a,
                               c);
}
Value KernelBuilder::minIdx(Value a, Value c) {
  return arith::MinSIOp::create(builder, location, a, c);
}
Value KernelBuilder::andI1(Value a, Value c) {
  return arith::AndIOp::create(builder, location, a, c);
}

Value KernelBuilder::fadd(Value a, Value c) {
  return arith::AddFOp::create(builder, location, a, c);
}
Value KernelBuilder::fsub(Value a, Value c) {
  return arith::SubFOp::create(builder, location, a, c);
}
Value KernelBuilder::fmul(Value a, Value c) {
  return arith::MulFOp::create(builder, location, a, c);
}
Value KernelBuilder::fdiv(Value a, Value c) {
  return arith::DivFOp::create(builder, location, a, c);
}
Value KernelBuilder::fmax(Value a, Value c) {
  return arith::MaximumFOp::create(builder, location, a, c);
}
Value KernelBuilder::fmin(Value a, Value c) {
  return arith::MinimumFOp::create(builder, location, a, c);
}
Value KernelBuilder::fexp(Value x, bool ftz) {
  return fexp2(fmul(x, f32(M_LOG2E)), ftz);
}
Value KernelBuilder::fexp2(Value x, bool ftz) {
  // The PTX instruction itself: math.exp2 would become a libdevice call,
  // which needs libdevice at compile time (CUDA_HOME) to resolve.
  return LLVM::CallIntrinsicOp::create(
             builder, location, builder.getF32Type(),
             builder.getStringAttr(ftz ? "llvm.nvvm.ex2.approx.ftz.f32"
                                       : "llvm.nvvm.ex2.approx.f32"),
             ValueRange{x})
      .getResult(0);
}
Value KernelBuilder::ffma(Value a, Value b, Value c) {
  return LLVM::FMAOp::create(builder, location, a, b, c);
}
Value KernelBuilder::select(Value cond, Value a, Value c) {
  return arith::SelectOp::create(builder, location, cond, a, c);
}
Value KernelBuilder::toF32(Value v) {
  Type f32Ty = builder.getF32Type();
  if (v.getType() == f32Ty)
    return v;
  return arith::ExtFOp::create(builder, location, f32Ty, v);
}
Value KernelBuilder::fromF32(Value v, Type t) {
  if (v.getType() == t)
    return v;
  return arith::TruncFOp::create(builder, location, t, v);
}

SmemTile KernelBuilder::allocTile(int64_t rows, int64_t cols, Type elem) {
  int64_t elemBytes = elem.getIntOrFloatBitWidth() / 8;
  return {allocShared({rows, cols + 16 / elemBytes}, elem), rows, cols};
}

Value KernelBuilder::allocShared(ArrayRef<int64_t> shape, Type elem) {
  auto wg = gpu::AddressSpaceAttr::get(builder.getContext(),
                                       gpu::AddressSpace::Workgroup);
  auto type = MemRefType::get(shape, elem, MemRefLayoutAttrInterface{}, wg);
  Value view = memref::ViewOp::create(builder, location, type, smem,
                                      idx(smemBytes), ValueRange{});
  int64_t bytes = type.getNumElements() * elem.getIntOrFloatBitWidth() / 8;
  smemBytes += (bytes + 127) / 128 * 128;
  smemPeak = std::max(smemPeak, smemBytes);
  return view;
}

void KernelBuilder::barrier() { gpu::BarrierOp::create(builder, location); }

void KernelBuilder::forRange(Value lb, Value ub, int64_t step,
                             function_ref<void(Value)> body) {
  auto loop = scf::ForOp::create(builder, location, lb, ub, idx(step));
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(loop.getBody());
  body(loop.getInductionVar());
}

void KernelBuilder::forEachElement(int64_t rows, int64_t cols,
                                   function_ref<void(Value, Value)> body) {
  forRange(tid, idx(rows * cols), numThreads, [&](Value e) {
    body(div(e, idx(cols)), rem(e, idx(cols)));
  });
}

void KernelBuilder::forEachRow(int64_t rows, function_ref<void(Value)> body) {
  forRange(tid, idx(rows), numThreads, body);
}

void KernelBuilder::ifThen(Value cond, function_ref<void()> then) {
  auto ifOp = scf::IfOp::create(builder, location, cond, /*else=*/false);
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(ifOp.thenBlock());
  then();
}

Value KernelBuilder::load(Value mem, ValueRange indices) {
  return memref::LoadOp::create(builder, location, mem, indices);
}
void KernelBuilder::store(Value v, Value mem, ValueRange indices) {
  memref::StoreOp::create(builder, location, v, mem, indices);
}
