//===- TileMma.cpp - tensor-core products of shared-memory tiles ----------===//
//
// Fragment layouts are those of PTX's mma.m16n8k16 with .bf16 operands: lane
// l holds A rows l/4 and l/4 + 8, columns 2(l%4) + {0,1} (+ 8); B column l/4,
// rows 2(l%4) + {0,1} (+ 8); C rows l/4 (+ 8), columns 2(l%4) + {0,1}.
// ldmatrix .x4/.x2 produce exactly these when each lane points at the right
// 8-element row of the right 8x8 sub-matrix, which is what the address
// formulas below choose.
//
//===----------------------------------------------------------------------===//
#include "TileMma.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::attn::gpu_codegen;

namespace {

/// The registers of an ldmatrix result as the i32 words mma.sync takes.
SmallVector<Value> fragmentWords(KernelBuilder &kb, Value frag) {
  OpBuilder &b = kb.b();
  auto vt = cast<VectorType>(frag.getType());
  SmallVector<Value> words;
  for (int64_t i = 0; i < vt.getDimSize(0); ++i) {
    Value pair = vector::ExtractOp::create(b, kb.loc(), frag, i);
    words.push_back(
        LLVM::BitcastOp::create(b, kb.loc(), b.getI32Type(), pair));
  }
  return words;
}

Value ldmatrix(KernelBuilder &kb, Value mem, Value row, Value col,
               int64_t tiles, bool transpose) {
  OpBuilder &b = kb.b();
  Type elem = cast<MemRefType>(mem.getType()).getElementType();
  auto type = VectorType::get({tiles, 2}, elem);
  return nvgpu::LdMatrixOp::create(b, kb.loc(), type, mem, ValueRange{row, col},
                                   b.getBoolAttr(transpose),
                                   b.getI32IntegerAttr(tiles));
}

} // namespace

/// Two f32 values as the bf16 pair of one mma operand register.
Value mlir::attn::gpu_codegen::packBf16(KernelBuilder &kb, Value lo,
                                        Value hi) {
  OpBuilder &b = kb.b();
  auto f32x2 = VectorType::get({2}, b.getF32Type());
  Value v = vector::FromElementsOp::create(b, kb.loc(), f32x2,
                                           ValueRange{lo, hi});
  v = arith::TruncFOp::create(b, kb.loc(),
                              VectorType::get({2}, b.getBF16Type()), v);
  return LLVM::BitcastOp::create(b, kb.loc(), b.getI32Type(), v);
}

SmallVector<Value>
mlir::attn::gpu_codegen::accumulatorsAsA(KernelBuilder &kb,
                                         ArrayRef<Value> left,
                                         ArrayRef<Value> right) {
  return {packBf16(kb, left[0], left[1]), packBf16(kb, left[2], left[3]),
          packBf16(kb, right[0], right[1]), packBf16(kb, right[2], right[3])};
}

SmallVector<Value>
mlir::attn::gpu_codegen::mapA(KernelBuilder &kb, ArrayRef<Value> a,
                              function_ref<Value(Value, int64_t)> f) {
  return mapAByRow(kb, a, [&](Value x, int64_t, int64_t c) { return f(x, c); });
}

SmallVector<Value>
mlir::attn::gpu_codegen::mapAByRow(
    KernelBuilder &kb, ArrayRef<Value> a,
    function_ref<Value(Value, int64_t, int64_t)> f) {
  // Word w holds row l/4 + 8 (w % 2), columns 2(l%4) + 8 (w / 2) + {0, 1}.
  OpBuilder &b = kb.b();
  auto bf16x2 = VectorType::get({2}, b.getBF16Type());
  SmallVector<Value> out;
  for (auto [w, word] : llvm::enumerate(a)) {
    Value pair = LLVM::BitcastOp::create(b, kb.loc(), bf16x2, word);
    Value x[2];
    for (int64_t h = 0; h < 2; ++h)
      x[h] = f(kb.toF32(vector::ExtractOp::create(b, kb.loc(), pair, h)),
               int64_t(w) % 2, 2 * (int64_t(w) / 2) + h);
    out.push_back(packBf16(kb, x[0], x[1]));
  }
  return out;
}

SmallVector<SmallVector<Value>>
mlir::attn::gpu_codegen::loadAFromGlobal(KernelBuilder &kb, Value src,
                                         Value b, Value t0, Value h,
                                         int64_t T) {
  OpBuilder &builder = kb.b();
  Location loc = kb.loc();
  auto srcTy = cast<MemRefType>(src.getType());
  assert(srcTy.getElementType().isBF16() && "bf16 A operands");
  const int64_t D = srcTy.getDimSize(3);
  auto pairTy = VectorType::get({2}, builder.getBF16Type());
  Value l = kb.laneId();
  Value rows[2] = {kb.add(t0, kb.div(l, kb.idx(4))), Value()};
  rows[1] = kb.add(rows[0], kb.idx(8));
  Value col = kb.mul(kb.rem(l, kb.idx(4)), kb.idx(2));
  Value zero = arith::ConstantOp::create(builder, loc,
                                         builder.getI32IntegerAttr(0));
  // Words 0..3: (row, col), (row + 8, col), (row, col + 8), (row + 8,
  // col + 8), the mma A layout.
  SmallVector<SmallVector<Value>> frags;
  for (int64_t k0 = 0; k0 < D; k0 += 16) {
    SmallVector<Value> words;
    for (int64_t w = 0; w < 4; ++w) {
      Value t = rows[w % 2];
      Value pair = vector::LoadOp::create(
          builder, loc, pairTy, src,
          ValueRange{b, kb.minIdx(t, kb.idx(T - 1)), h,
                     kb.add(col, kb.idx(k0 + 8 * (w / 2)))},
          /*nontemporal=*/false, llvm::MaybeAlign(4));
      Value word = LLVM::BitcastOp::create(builder, loc,
                                           builder.getI32Type(), pair);
      words.push_back(kb.select(kb.lt(t, kb.idx(T)), word, zero));
    }
    frags.push_back(words);
  }
  return frags;
}

/// The A fragment (16 x 16 at rows m0, columns k0 of A).
SmallVector<Value> mlir::attn::gpu_codegen::loadA(KernelBuilder &kb, MmaOperand a, Value m0, Value k0) {
  Value l = kb.laneId();
  if (!a.transposed) {
    Value row = kb.add(m0, kb.rem(l, kb.idx(16)));
    Value col = kb.add(k0, kb.mul(kb.div(l, kb.idx(16)), kb.idx(8)));
    return fragmentWords(kb, ldmatrix(kb, a.tile.mem, row, col, 4, false));
  }
  // The tile holds A^T ([k][m]): sub-matrix i = l/8 covers m block i%2 and
  // k block i/2; transposing loads give A's layout.
  Value i = kb.div(l, kb.idx(8));
  Value row = kb.add(kb.add(k0, kb.mul(kb.div(i, kb.idx(2)), kb.idx(8))),
                     kb.rem(l, kb.idx(8)));
  Value col = kb.add(m0, kb.mul(kb.rem(i, kb.idx(2)), kb.idx(8)));
  return fragmentWords(kb, ldmatrix(kb, a.tile.mem, row, col, 4, true));
}

/// The B fragment (16 x 8 at rows k0, columns n0 of B).
SmallVector<Value> mlir::attn::gpu_codegen::loadB(KernelBuilder &kb, MmaOperand bop, Value k0,
                         Value n0) {
  Value l = kb.laneId();
  if (!bop.transposed) {
    // The tile holds B ([k][n]): transposing loads of rows k0..k0+15.
    Value row = kb.add(k0, kb.rem(l, kb.idx(16)));
    return fragmentWords(kb, ldmatrix(kb, bop.tile.mem, row, n0, 2, true));
  }
  // The tile holds B^T ([n][k]): plain loads of rows n0..n0+7, k halves.
  Value row = kb.add(n0, kb.rem(l, kb.idx(8)));
  Value col = kb.add(
      k0, kb.mul(kb.rem(kb.div(l, kb.idx(8)), kb.idx(2)), kb.idx(8)));
  return fragmentWords(kb, ldmatrix(kb, bop.tile.mem, row, col, 2, false));
}

/// The B fragments of two adjacent n8 tiles (columns n0 and n0 + 8) with one
/// ldmatrix.x4: sub-matrix i = l/8 covers k block i%2 of n block i/2.
std::pair<SmallVector<Value>, SmallVector<Value>>
mlir::attn::gpu_codegen::loadB2(KernelBuilder &kb, MmaOperand bop, Value k0,
                                Value n0) {
  Value l = kb.laneId();
  Value i = kb.div(l, kb.idx(8));
  Value nBlock = kb.mul(kb.div(i, kb.idx(2)), kb.idx(8));
  Value kBlock = kb.mul(kb.rem(i, kb.idx(2)), kb.idx(8));
  Value r = kb.rem(l, kb.idx(8));
  Value frag;
  if (!bop.transposed)
    frag = ldmatrix(kb, bop.tile.mem, kb.add(kb.add(k0, kBlock), r),
                    kb.add(n0, nBlock), 4, true);
  else
    frag = ldmatrix(kb, bop.tile.mem, kb.add(kb.add(n0, nBlock), r),
                    kb.add(k0, kBlock), 4, false);
  SmallVector<Value> words = fragmentWords(kb, frag);
  return {{words[0], words[1]}, {words[2], words[3]}};
}

/// d = a * b + c on one m16n8k16 tile; c and d are 4 f32 values.
SmallVector<Value> mlir::attn::gpu_codegen::mma(KernelBuilder &kb, ArrayRef<Value> a, ArrayRef<Value> b,
                       ArrayRef<Value> c) {
  OpBuilder &builder = kb.b();
  Type f32 = builder.getF32Type();
  auto resTy = LLVM::LLVMStructType::getLiteral(builder.getContext(),
                                                {f32, f32, f32, f32});
  Value d = NVVM::MmaOp::create(
      builder, kb.loc(), resTy, a, b, c, ArrayRef<int64_t>{16, 8, 16},
      std::nullopt, std::nullopt,
      std::array<NVVM::MMATypes, 2>{NVVM::MMATypes::bf16,
                                    NVVM::MMATypes::bf16},
      std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                     NVVM::MMALayout::col});
  SmallVector<Value> out;
  for (int64_t i = 0; i < 4; ++i)
    out.push_back(LLVM::ExtractValueOp::create(builder, kb.loc(), d, i));
  return out;
}

/// Row and column of accumulator element e (0..3) of the tile at (m0, n0).
std::pair<Value, Value> mlir::attn::gpu_codegen::accPosition(KernelBuilder &kb, Value m0, Value n0,
                                    int64_t e) {
  Value l = kb.laneId();
  Value row = kb.add(m0, kb.div(l, kb.idx(4)));
  if (e >= 2)
    row = kb.add(row, kb.idx(8));
  Value col = kb.add(n0, kb.add(kb.mul(kb.rem(l, kb.idx(4)), kb.idx(2)),
                                kb.idx(e % 2)));
  return {row, col};
}

void mlir::attn::gpu_codegen::mmaAccumulateRow(KernelBuilder &kb,
                                               ArrayRef<Value> a,
                                               MmaOperand b, Value k0,
                                               MutableArrayRef<Value> acc) {
  SmallVector<Value> fragment(a);
  mmaAccumulateRows(kb, {fragment}, b, k0, Value(), {acc});
}

void mlir::attn::gpu_codegen::mmaAccumulateRows(
    KernelBuilder &kb, ArrayRef<SmallVector<Value>> a, MmaOperand b, Value k0,
    Value n0, ArrayRef<MutableArrayRef<Value>> acc) {
  assert(a.size() == acc.size() && acc.front().size() % 8 == 0 &&
         "pairs of n8 tiles");
  int64_t nTiles = acc.front().size() / 4;
  for (int64_t j = 0; j < nTiles; j += 2) {
    Value col = n0 ? kb.add(n0, kb.idx(8 * j)) : kb.idx(8 * j);
    auto [b0, b1] = loadB2(kb, b, k0, col);
    for (auto [frag, row] : llvm::zip(a, acc)) {
      SmallVector<Value> d0 = mma(kb, frag, b0, row.slice(4 * j, 4));
      SmallVector<Value> d1 = mma(kb, frag, b1, row.slice(4 * (j + 1), 4));
      std::copy(d0.begin(), d0.end(), row.begin() + 4 * j);
      std::copy(d1.begin(), d1.end(), row.begin() + 4 * (j + 1));
    }
  }
}

void mlir::attn::gpu_codegen::forEachAccumulator(
    KernelBuilder &kb, Value m0, int64_t nTiles,
    function_ref<void(int64_t, Value, Value)> f) {
  for (int64_t j = 0; j < nTiles; ++j)
    for (int64_t e = 0; e < 4; ++e) {
      auto [r, c] = accPosition(kb, m0, kb.idx(8 * j), e);
      f(4 * j + e, r, c);
    }
}

void mlir::attn::gpu_codegen::storeAccumulators(KernelBuilder &kb,
                                                ArrayRef<Value> acc, Value m0,
                                                SmemTile dst) {
  OpBuilder &b = kb.b();
  Type elem = dst.elementType();
  auto f32x2 = VectorType::get({2}, b.getF32Type());
  for (int64_t j = 0; j < int64_t(acc.size()) / 4; ++j)
    for (int64_t e = 0; e < 4; e += 2) {
      auto [r, c] = accPosition(kb, m0, kb.idx(8 * j), e);
      Value v = vector::FromElementsOp::create(
          b, kb.loc(), f32x2, ValueRange{acc[4 * j + e], acc[4 * j + e + 1]});
      if (!elem.isF32())
        v = arith::TruncFOp::create(b, kb.loc(), VectorType::get({2}, elem),
                                    v);
      vector::StoreOp::create(b, kb.loc(), v, dst.mem, ValueRange{r, c},
                              /*nontemporal=*/false,
                              llvm::MaybeAlign(2 * elem.getIntOrFloatBitWidth() /
                                               8));
    }
}

void mlir::attn::gpu_codegen::emitTileMma(KernelBuilder &kb, SmemTile c,
                                          MmaOperand a, MmaOperand b,
                                          TileMmaShape shape,
                                          TileMmaOptions options) {
  assert(shape.m % 16 == 0 && shape.k % 16 == 0 && shape.n % 8 == 0 &&
         "tile product sizes must fit m16n8k16");
  OpBuilder &builder = kb.b();
  Location loc = kb.loc();
  // Each warp owns 16 x (8 * nt) of C: A fragments are reused nt times.
  int64_t nt = shape.n % 32 == 0 ? 4 : shape.n % 16 == 0 ? 2 : 1;
  int64_t tilesN = shape.n / (8 * nt);
  int64_t tiles = (shape.m / 16) * tilesN;

  kb.forRange(kb.warpId(), kb.idx(tiles), kb.warps(), [&](Value t) {
    Value m0 = kb.mul(kb.div(t, kb.idx(tilesN)), kb.idx(16));
    Value nBase = kb.mul(kb.rem(t, kb.idx(tilesN)), kb.idx(8 * nt));
    SmallVector<Value> n0s;
    for (int64_t j = 0; j < nt; ++j)
      n0s.push_back(kb.add(nBase, kb.idx(8 * j)));

    SmallVector<Value> init;
    for (int64_t j = 0; j < nt; ++j)
      for (int64_t e = 0; e < 4; ++e) {
        if (options.accumulate) {
          auto [r, col] = accPosition(kb, m0, n0s[j], e);
          Value v = kb.load(c.mem, {r, col});
          init.push_back(options.negate
                             ? arith::NegFOp::create(builder, loc, v)
                             : v);
        } else {
          init.push_back(kb.f32(0.0));
        }
      }

    auto kLoop = scf::ForOp::create(
        builder, loc, kb.idx(0), kb.idx(shape.k), kb.idx(16), init,
        [&](OpBuilder &, Location, Value k0, ValueRange acc) {
          SmallVector<Value> afrag = loadA(kb, a, m0, k0);
          SmallVector<Value> next;
          for (int64_t j = 0; j < nt; ++j) {
            SmallVector<Value> bfrag;
            if (nt % 2 == 0) {
              // Two n8 tiles per ldmatrix.x4.
              if (j % 2 == 1)
                continue;
              auto [b0, b1] = loadB2(kb, b, k0, n0s[j]);
              SmallVector<Value> c0(acc.slice(4 * j, 4));
              SmallVector<Value> c1(acc.slice(4 * (j + 1), 4));
              auto d0 = mma(kb, afrag, b0, c0);
              auto d1 = mma(kb, afrag, b1, c1);
              next.append(d0.begin(), d0.end());
              next.append(d1.begin(), d1.end());
              continue;
            }
            bfrag = loadB(kb, b, k0, n0s[j]);
            SmallVector<Value> c(acc.slice(4 * j, 4));
            auto d = mma(kb, afrag, bfrag, c);
            next.append(d.begin(), d.end());
          }
          scf::YieldOp::create(builder, loc, next);
        });

    for (int64_t j = 0; j < nt; ++j)
      for (int64_t e = 0; e < 4; ++e) {
        auto [r, col] = accPosition(kb, m0, n0s[j], e);
        Value v = kLoop.getResult(4 * j + e);
        if (options.negate)
          v = arith::NegFOp::create(builder, loc, v);
        kb.store(kb.fromF32(v, c.elementType()), c.mem, {r, col});
      }
  });
}
