//===- TileIO.cpp - global memory <-> shared-memory tiles -----------------===//
#include "Kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::attn::gpu_codegen;

void mlir::attn::gpu_codegen::loadRowsToTile(
    KernelBuilder &kb, SmemTile dst, Value src, Value b, Value t0, Value h,
    Value d0, int64_t T, function_ref<Value(Value)> transform) {
  kb.forEachElement(dst.rows, dst.cols, [&](Value i, Value j) {
    Value t = kb.add(t0, i);
    Value valid = kb.lt(t, kb.idx(T));
    // Rows past T read row T-1 (always in bounds) and are zeroed.
    Value tc = kb.minIdx(t, kb.idx(T - 1));
    Value x = kb.toF32(kb.load(src, {b, tc, h, kb.add(d0, j)}));
    if (transform)
      x = transform(x);
    x = kb.select(valid, x, kb.f32(0.0));
    kb.store(kb.fromF32(x, dst.elementType()), dst.mem, {i, j});
  });
}

void mlir::attn::gpu_codegen::storeRowsFromTile(
    KernelBuilder &kb, SmemTile src, Value dst, Value b, Value t0, Value h,
    Value d0, int64_t T, function_ref<Value(Value, Value)> transform) {
  Type outTy = cast<MemRefType>(dst.getType()).getElementType();
  kb.forEachElement(src.rows, src.cols, [&](Value i, Value j) {
    Value t = kb.add(t0, i);
    kb.ifThen(kb.lt(t, kb.idx(T)), [&] {
      Value x = kb.load(src.mem, {i, j});
      if (transform)
        x = transform(x, i);
      kb.store(kb.fromF32(x, outTy), dst, {b, t, h, kb.add(d0, j)});
    });
  });
}
