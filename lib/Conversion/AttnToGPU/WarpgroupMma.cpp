//===- WarpgroupMma.cpp - Hopper warpgroup MMA on shared tiles ------------===//
//
// The products are inline PTX: MLIR's nvvm.wgmma.mma_async takes A from
// shared memory only, and the kernels keep A (Q's fragments, the softmax
// probabilities) in registers as FlashAttention-3 does.
//
//===----------------------------------------------------------------------===//
#include "WarpgroupMma.h"
#include "TileIO.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::gpu_codegen;

namespace {

constexpr int64_t kCoreBytes = 128; // one 8 x 8 bf16 core matrix

/// The constant part of a matrix descriptor (PTX ISA, "Matrix Descriptor
/// Format"): bits 0-13 the start address >> 4 (added per product), 16-29
/// the leading byte offset >> 4 (between core matrices adjacent in K),
/// 32-45 the stride byte offset >> 4 (adjacent in M or N); base offset and
/// swizzle mode (bits 49-51, 62-63) 0: no swizzling.
uint64_t descriptorFields(int64_t leadingBytes, int64_t strideBytes) {
  return (uint64_t(leadingBytes >> 4) << 16) |
         (uint64_t(strideBytes >> 4) << 32);
}

Value i64(KernelBuilder &kb, int64_t v) {
  return arith::ConstantOp::create(kb.b(), kb.loc(),
                                   kb.b().getI64IntegerAttr(v));
}

/// The tile's shared-memory address, encoded for a descriptor's start
/// address field: (address & 0x3FFFF) >> 4.
Value encodedAddress(KernelBuilder &kb, Value mem) {
  OpBuilder &b = kb.b();
  Location loc = kb.loc();
  Value ptr = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, mem);
  Value addr = arith::IndexCastOp::create(b, loc, b.getI64Type(), ptr);
  addr = arith::AndIOp::create(b, loc, addr, i64(kb, 0x3FFFF));
  return arith::ShRUIOp::create(b, loc, addr, i64(kb, 4));
}

Value inlineAsm(KernelBuilder &kb, Type result, ValueRange operands,
                StringRef text, StringRef constraints) {
  return LLVM::InlineAsmOp::create(
             kb.b(), kb.loc(), result, operands, text, constraints,
             /*has_side_effects=*/true, /*is_align_stack=*/false,
             LLVM::tailcallkind::TailCallKind::None,
             LLVM::AsmDialectAttr::get(kb.b().getContext(),
                                       LLVM::AsmDialect::AD_ATT),
             /*operand_attrs=*/ArrayAttr())
      .getRes();
}

/// The literal struct of `n` f32 an asm statement with n outputs returns,
/// and its fields.
Type floatStruct(KernelBuilder &kb, int64_t n) {
  return LLVM::LLVMStructType::getLiteral(
      kb.b().getContext(), SmallVector<Type>(n, kb.b().getF32Type()));
}
SmallVector<Value> unpackFloats(KernelBuilder &kb, Value res, int64_t n) {
  SmallVector<Value> out;
  for (int64_t i = 0; i < n; ++i)
    out.push_back(LLVM::ExtractValueOp::create(kb.b(), kb.loc(), res, i));
  return out;
}

} // namespace

CoreMatrixTile mlir::attn::gpu_codegen::allocCoreMatrixTile(KernelBuilder &kb,
                                                            int64_t rows,
                                                            int64_t cols) {
  assert(rows % 8 == 0 && cols % 8 == 0 && "tiles of whole core matrices");
  return {kb.allocShared({rows / 8, cols / 8, 8, 8}, kb.b().getBF16Type()),
          rows, cols};
}

SmallVector<Value> mlir::attn::gpu_codegen::asyncCopyRowsToCoreMatrices(
    KernelBuilder &kb, CoreMatrixTile dst, Value dstRow0, int64_t rows,
    Value src, Value b, Value t0, Value h, Value d0, int64_t T, Value enable) {
  // Eight consecutive threads fill one core matrix: 128 contiguous bytes,
  // every bank once.
  return asyncCopyRows(
      kb, dst.mem,
      [&](Value row, Value col) -> SmallVector<Value> {
        Value r = kb.add(dstRow0, row);
        return {kb.div(r, kb.idx(8)), kb.div(col, kb.idx(8)),
                kb.rem(r, kb.idx(8)), kb.idx(0)};
      },
      rows, dst.cols, src, b, t0, h, d0, T, enable, /*rowGroup=*/8);
}

void mlir::attn::gpu_codegen::fenceAsyncProxy(KernelBuilder &kb) {
  inlineAsm(kb, Type(), ValueRange{}, "fence.proxy.async.shared::cta;",
            "~{memory}");
}

SmallVector<Value> mlir::attn::gpu_codegen::warpgroupMma(
    KernelBuilder &kb, ArrayRef<SmallVector<Value>> a, CoreMatrixTile tile,
    WgmmaB layout, Value row0, int64_t n, ArrayRef<Value> acc) {
  return warpgroupMmaWait(
      kb, warpgroupMmaIssue(kb, a, tile, layout, row0, n, acc), 0);
}

WgmmaGroup mlir::attn::gpu_codegen::warpgroupMmaIssue(
    KernelBuilder &kb, ArrayRef<SmallVector<Value>> a, CoreMatrixTile tile,
    WgmmaB layout, Value row0, int64_t n, ArrayRef<Value> acc) {
  OpBuilder &b = kb.b();
  Location loc = kb.loc();
  const int64_t steps = a.size(), outs = n / 2;
  const bool transposed = layout == WgmmaB::Transposed;
  const bool accumulate = !acc.empty();
  assert(n % 8 == 0 && n >= 8 && n <= 256 && "wgmma n is 8..256 by 8");
  assert((!accumulate || int64_t(acc.size()) == outs) && "accumulators");
  assert((transposed ? tile.rows : tile.cols) >= n && "B wider than tile");

  // Core matrices of B adjacent in K are one apart along the tile's row
  // (Transposed) or one row group apart (Direct); adjacent in N the other
  // way round.
  const int64_t rowGroupBytes = tile.cols / 8 * kCoreBytes;
  uint64_t fields = transposed ? descriptorFields(kCoreBytes, rowGroupBytes)
                               : descriptorFields(rowGroupBytes, kCoreBytes);
  // Byte offset of row row0 (a multiple of 8): row0 * cols * 2.
  Value rowBytes = arith::IndexCastOp::create(
      b, loc, b.getI64Type(), kb.mul(row0, kb.idx(tile.cols * 2)));
  Value base = arith::AddIOp::create(
      b, loc, encodedAddress(kb, tile.mem),
      arith::ShRUIOp::create(b, loc, rowBytes, i64(kb, 4)));
  base = arith::OrIOp::create(b, loc, base, i64(kb, int64_t(fields)));

  // Operands: the accumulators (outputs, tied to the inputs when
  // accumulating), A's words, one descriptor per step, and a 1 to make the
  // scale-d predicates from.
  SmallVector<Value> operands;
  std::string constraints;
  llvm::raw_string_ostream cs(constraints);
  for (int64_t i = 0; i < outs; ++i)
    cs << (i ? "," : "") << "=f";
  if (accumulate)
    for (int64_t i = 0; i < outs; ++i) {
      cs << "," << i;
      operands.push_back(acc[i]);
    }
  const int64_t aAt = operands.size() + outs;
  for (const SmallVector<Value> &words : a) {
    assert(words.size() == 4 && "an A fragment is 4 words");
    for (Value w : words) {
      cs << ",r";
      operands.push_back(w);
    }
  }
  const int64_t descAt = operands.size() + outs;
  for (int64_t s = 0; s < steps; ++s) {
    // Step s: K columns 16s.. (Transposed) or K rows 16s.. (Direct).
    int64_t offset = transposed ? 2 * s * kCoreBytes : 2 * s * rowGroupBytes;
    operands.push_back(
        arith::AddIOp::create(b, loc, base, i64(kb, offset >> 4)));
    cs << ",l";
  }
  const int64_t oneAt = operands.size() + outs;
  operands.push_back(arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(1)));
  cs << ",r,~{memory}";

  std::string text;
  llvm::raw_string_ostream ts(text);
  ts << "{\n.reg .pred zero, one;\n"
     << "setp.eq.u32 zero, $" << oneAt << ", 0;\n"
     << "setp.ne.u32 one, $" << oneAt << ", 0;\n"
     << "wgmma.fence.sync.aligned;\n";
  for (int64_t s = 0; s < steps; ++s) {
    ts << "wgmma.mma_async.sync.aligned.m64n" << n << "k16.f32.bf16.bf16 {";
    for (int64_t i = 0; i < outs; ++i)
      ts << (i ? ", " : "") << "$" << i;
    ts << "}, {";
    for (int64_t w = 0; w < 4; ++w)
      ts << (w ? ", " : "") << "$" << aAt + 4 * s + w;
    ts << "}, $" << descAt + s << ", "
       << (s == 0 && !accumulate ? "zero" : "one") << ", 1, 1, "
       << (transposed ? 0 : 1) << ";\n";
  }
  ts << "wgmma.commit_group.sync.aligned;\n}";

  WgmmaGroup group;
  group.acc = unpackFloats(
      kb, inlineAsm(kb, floatStruct(kb, outs), operands, text, constraints),
      outs);
  for (const SmallVector<Value> &words : a)
    group.words.append(words.begin(), words.end());
  return group;
}

SmallVector<Value>
mlir::attn::gpu_codegen::warpgroupMmaWait(KernelBuilder &kb,
                                          const WgmmaGroup &group,
                                          int64_t pending) {
  // The accumulators pass through the wait (tied in and out) and the A
  // words into it, so that nothing touches them between the issue and here
  // and ptxas keeps the products asynchronous.
  const int64_t outs = group.acc.size();
  SmallVector<Value> operands(group.acc);
  std::string constraints;
  llvm::raw_string_ostream cs(constraints);
  for (int64_t i = 0; i < outs; ++i)
    cs << (i ? "," : "") << "=f";
  for (int64_t i = 0; i < outs; ++i)
    cs << "," << i;
  for (Value w : group.words) {
    operands.push_back(w);
    cs << ",r";
  }
  cs << ",~{memory}";
  std::string text =
      llvm::formatv("wgmma.wait_group.sync.aligned {0};", pending).str();
  return unpackFloats(
      kb, inlineAsm(kb, floatStruct(kb, outs), operands, text, constraints),
      outs);
}
