//===- TileIO.cpp - global memory <-> shared-memory tiles -----------------===//
#include "TileIO.h"
#include "TileMma.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::attn::gpu_codegen;

/// Elements per 16-byte piece of `src`'s rows.
static int64_t pieceWidth(Value src, int64_t cols) {
  Type t = cast<MemRefType>(src.getType()).getElementType();
  int64_t w = 16 / (t.getIntOrFloatBitWidth() / 8);
  return cols % w == 0 ? w : 1;
}

/// Writes the piece `x` (w elements of a row, any float type) into `dst` at
/// (row, col): extended to f32, each element mapped by `transform`, zeros
/// where !valid, rounded to dst's type; one 16-byte-or-less vector store.
static void storePiece(KernelBuilder &kb, Value x, Value valid, SmemTile dst,
                       Value row, Value col,
                       function_ref<Value(Value)> transform) {
  OpBuilder &builder = kb.b();
  Location loc = kb.loc();
  int64_t w = cast<VectorType>(x.getType()).getNumElements();
  Type dstTy = dst.elementType();
  auto f32Vec = VectorType::get({w}, builder.getF32Type());
  if (!getElementTypeOrSelf(x.getType()).isF32())
    x = arith::ExtFOp::create(builder, loc, f32Vec, x);
  if (transform) {
    SmallVector<Value> elems;
    for (int64_t e = 0; e < w; ++e)
      elems.push_back(transform(vector::ExtractOp::create(builder, loc, x, e)));
    x = vector::FromElementsOp::create(builder, loc, f32Vec, elems);
  }
  Value zero = arith::ConstantOp::create(builder, loc, f32Vec,
                                         DenseElementsAttr::get(f32Vec, 0.0f));
  x = kb.select(valid, x, zero);
  if (dstTy != builder.getF32Type())
    x = arith::TruncFOp::create(builder, loc, VectorType::get({w}, dstTy), x);
  int64_t storeBytes = w * dstTy.getIntOrFloatBitWidth() / 8;
  vector::StoreOp::create(builder, loc, x, dst.mem, ValueRange{row, col},
                          /*nontemporal=*/false, llvm::MaybeAlign(storeBytes));
}

/// Rows t0..t0 + rows - 1 of `src` into `dst` at rows dstRow0.. by
/// synchronous loads (loadRowsToTile's body).
static void loadRows(KernelBuilder &kb, SmemTile dst, Value dstRow0,
                     int64_t rows, Value src, Value b, Value t0, Value h,
                     Value d0, int64_t T,
                     function_ref<Value(Value)> transform) {
  OpBuilder &builder = kb.b();
  Location loc = kb.loc();
  Type srcTy = cast<MemRefType>(src.getType()).getElementType();
  // 16-byte accesses: each thread moves w consecutive elements of a row.
  // (Rows start 16-byte aligned: D and the column offsets are multiples
  // of w, and cudaMalloc'd buffers are 256-byte aligned.)
  int64_t w = pieceWidth(src, dst.cols);
  kb.forEachElement(rows, dst.cols / w, [&](Value i, Value jv) {
    Value j = kb.mul(jv, kb.idx(w));
    Value t = kb.add(t0, i);
    Value valid = kb.lt(t, kb.idx(T));
    // Rows past T read row T-1 (always in bounds) and are zeroed.
    Value tc = kb.minIdx(t, kb.idx(T - 1));
    Value x = vector::LoadOp::create(builder, loc,
                                     VectorType::get({w}, srcTy), src,
                                     ValueRange{b, tc, h, kb.add(d0, j)},
                                     /*nontemporal=*/false,
                                     llvm::MaybeAlign(16));
    storePiece(kb, x, valid, dst, dstRow0 ? kb.add(dstRow0, i) : i, j,
               transform);
  });
}

void mlir::attn::gpu_codegen::loadRowsToTile(
    KernelBuilder &kb, SmemTile dst, Value src, Value b, Value t0, Value h,
    Value d0, int64_t T, function_ref<Value(Value)> transform) {
  loadRows(kb, dst, Value(), dst.rows, src, b, t0, h, d0, T, transform);
}

bool mlir::attn::gpu_codegen::canStageRows(int64_t rows, int64_t cols,
                                           Value src, int64_t threads) {
  return (rows * cols / pieceWidth(src, cols)) % threads == 0;
}

StagedRows mlir::attn::gpu_codegen::loadRowsToRegisters(
    KernelBuilder &kb, int64_t rows, int64_t cols, Value src, Value b,
    Value t0, Value h, Value d0, int64_t T) {
  assert(canStageRows(rows, cols, src, kb.threads()) && "tile not staged evenly");
  OpBuilder &builder = kb.b();
  Location loc = kb.loc();
  Type srcTy = cast<MemRefType>(src.getType()).getElementType();
  StagedRows s;
  s.rows = rows;
  s.cols = cols;
  s.width = pieceWidth(src, cols);
  int64_t perRow = cols / s.width;
  int64_t shares = rows * perRow / kb.threads();
  for (int64_t i = 0; i < shares; ++i) {
    Value e = kb.add(kb.threadId(), kb.idx(i * kb.threads()));
    Value row = kb.div(e, kb.idx(perRow));
    Value col = kb.mul(kb.rem(e, kb.idx(perRow)), kb.idx(s.width));
    Value t = kb.add(t0, row);
    s.valid.push_back(kb.lt(t, kb.idx(T)));
    Value tc = kb.minIdx(t, kb.idx(T - 1));
    s.pieces.push_back(vector::LoadOp::create(
        builder, loc, VectorType::get({s.width}, srcTy), src,
        ValueRange{b, tc, h, kb.add(d0, col)}, /*nontemporal=*/false,
        llvm::MaybeAlign(s.width * srcTy.getIntOrFloatBitWidth() / 8)));
  }
  return s;
}

void mlir::attn::gpu_codegen::storeStagedRows(
    KernelBuilder &kb, const StagedRows &s, SmemTile dst,
    function_ref<Value(Value)> transform, Value rowOffset) {
  int64_t perRow = s.cols / s.width;
  for (auto [i, piece] : llvm::enumerate(s.pieces)) {
    Value e = kb.add(kb.threadId(), kb.idx(int64_t(i) * kb.threads()));
    Value row = kb.div(e, kb.idx(perRow));
    if (rowOffset)
      row = kb.add(rowOffset, row);
    Value col = kb.mul(kb.rem(e, kb.idx(perRow)), kb.idx(s.width));
    storePiece(kb, piece, s.valid[i], dst, row, col, transform);
  }
}

/// Elements of `t` in a 16-byte cp.async piece.
static int64_t asyncPieceWidth(Type t) {
  return 128 / t.getIntOrFloatBitWidth();
}

bool mlir::attn::gpu_codegen::canCopyRowsAsync(int64_t rows, int64_t cols,
                                               Value src, int64_t threads,
                                               Type tileType) {
  Type t = cast<MemRefType>(src.getType()).getElementType();
  if (tileType ? t != tileType : !t.isBF16())
    return false;
  if (!t.isBF16() && !t.isF32())
    return false;
  int64_t w = asyncPieceWidth(t);
  return cols % w == 0 && (rows * cols / w) % threads == 0;
}

SmallVector<Value> mlir::attn::gpu_codegen::asyncCopyRows(
    KernelBuilder &kb, Value dst, RowPieceIndex dstIndex, int64_t rows,
    int64_t cols, Value src, Value b, Value t0, Value h, Value d0, int64_t T,
    Value enable, int64_t rowGroup) {
  Type elem = cast<MemRefType>(dst.getType()).getElementType();
  assert(canCopyRowsAsync(rows, cols, src, kb.threads(), elem) && rows % rowGroup == 0 &&
         "tile not copied evenly");
  OpBuilder &builder = kb.b();
  Location loc = kb.loc();
  auto tokenType = nvgpu::DeviceAsyncTokenType::get(builder.getContext());
  const int64_t w = asyncPieceWidth(elem), perRow = cols / w;
  SmallVector<Value> tokens;
  for (int64_t i = 0; i < rows * perRow / kb.threads(); ++i) {
    // Piece e: rowGroup rows of a column, then the next column.
    Value e = kb.add(kb.threadId(), kb.idx(i * kb.threads()));
    Value group = kb.div(e, kb.idx(rowGroup * perRow));
    Value within = kb.rem(e, kb.idx(rowGroup * perRow));
    Value row = kb.add(kb.mul(group, kb.idx(rowGroup)),
                       kb.rem(within, kb.idx(rowGroup)));
    Value col = kb.mul(kb.div(within, kb.idx(rowGroup)), kb.idx(w));
    Value t = kb.add(t0, row);
    Value valid = kb.lt(t, kb.idx(T));
    if (enable)
      valid = kb.andI1(valid, enable);
    // Rows past T point at row T - 1 (in bounds) and read nothing.
    Value tc = kb.minIdx(t, kb.idx(T - 1));
    Value n = kb.select(valid, kb.idx(w), kb.idx(0));
    tokens.push_back(nvgpu::DeviceAsyncCopyOp::create(
        builder, loc, tokenType, dst, dstIndex(row, col), src,
        ValueRange{b, tc, h, kb.add(d0, col)}, builder.getIndexAttr(w), n,
        builder.getUnitAttr()));
  }
  return tokens;
}

SmallVector<Value> mlir::attn::gpu_codegen::asyncCopyRowsToTile(
    KernelBuilder &kb, SmemTile dst, Value dstRow0, int64_t rows, Value src,
    Value b, Value t0, Value h, Value d0, int64_t T, Value enable) {
  return asyncCopyRows(
      kb, dst.mem,
      [&](Value row, Value col) -> SmallVector<Value> {
        return {kb.add(dstRow0, row), col};
      },
      rows, dst.cols, src, b, t0, h, d0, T, enable);
}

Value mlir::attn::gpu_codegen::commitAsyncCopies(KernelBuilder &kb,
                                                ArrayRef<Value> tokens) {
  auto tokenType = nvgpu::DeviceAsyncTokenType::get(kb.b().getContext());
  return nvgpu::DeviceAsyncCreateGroupOp::create(kb.b(), kb.loc(), tokenType,
                                                 tokens);
}

void mlir::attn::gpu_codegen::waitAsyncCopies(KernelBuilder &kb, Value group,
                                              int32_t pending) {
  nvgpu::DeviceAsyncWaitOp::create(kb.b(), kb.loc(), group,
                                   kb.b().getI32IntegerAttr(pending));
}

SmallVector<Value> mlir::attn::gpu_codegen::fetchRowsToTile(
    KernelBuilder &kb, SmemTile dst, Value dstRow0, int64_t rows, Value src,
    Value b, Value t0, Value h, Value d0, int64_t T) {
  if (canCopyRowsAsync(rows, dst.cols, src, kb.threads(), dst.elementType()))
    return asyncCopyRowsToTile(kb, dst, dstRow0, rows, src, b, t0, h, d0, T);
  loadRows(kb, dst, dstRow0, rows, src, b, t0, h, d0, T, nullptr);
  return {};
}

bool mlir::attn::gpu_codegen::fetchStepsToRow(
    KernelBuilder &kb, SmemTile dst, Value dstRow, int64_t count, Value src,
    Value b, Value t0, Value h, int64_t T, bool async) {
  assert(count <= kb.threads() && count <= dst.cols && "a thread a step");
  OpBuilder &builder = kb.b();
  Location loc = kb.loc();
  async &= cast<MemRefType>(src.getType()).getElementType().isF32();
  Value i = kb.threadId();
  Value t = kb.add(t0, i);
  Value valid = kb.lt(t, kb.idx(T));
  Value tc = kb.minIdx(t, kb.idx(T - 1));
  kb.ifThen(kb.lt(i, kb.idx(count)), [&] {
    if (!async) {
      Value x = kb.toF32(kb.load(src, {b, tc, h}));
      kb.store(kb.select(valid, x, kb.f32(0.0)), dst.mem, {dstRow, i});
      return;
    }
    // 4 bytes (only 16-byte copies may bypass L1); past T nothing is read
    // and the step is 0.
    auto tokenType = nvgpu::DeviceAsyncTokenType::get(builder.getContext());
    nvgpu::DeviceAsyncCopyOp::create(
        builder, loc, tokenType, dst.mem, ValueRange{dstRow, i}, src,
        ValueRange{b, tc, h}, builder.getIndexAttr(1),
        kb.select(valid, kb.idx(1), kb.idx(0)), UnitAttr());
  });
  return async;
}

void mlir::attn::gpu_codegen::loadRowScalarsToTile(KernelBuilder &kb,
                                                   SmemTile dst, Value src,
                                                   Value b, Value t0, Value h,
                                                   int64_t T) {
  kb.forEachRow(dst.rows, [&](Value i) {
    Value t = kb.add(t0, i);
    Value tc = kb.minIdx(t, kb.idx(T - 1));
    Value x = kb.toF32(kb.load(src, {b, tc, h}));
    kb.store(kb.select(kb.lt(t, kb.idx(T)), x, kb.f32(0.0)), dst.mem,
             {i, kb.idx(0)});
  });
}

void mlir::attn::gpu_codegen::storeRowsFromTile(
    KernelBuilder &kb, SmemTile src, Value dst, Value b, Value t0, Value h,
    Value d0, int64_t T, function_ref<Value(Value, Value)> transform) {
  OpBuilder &builder = kb.b();
  Location loc = kb.loc();
  Type outTy = cast<MemRefType>(dst.getType()).getElementType();
  Type srcTy = src.elementType();
  // 16 bytes of a row per thread (four f32 or eight bf16): one shared load
  // and one global store of up to 16 bytes.
  int64_t srcBytes = srcTy.getIntOrFloatBitWidth() / 8;
  int64_t w = src.cols % (16 / srcBytes) == 0 ? 16 / srcBytes : 1;
  auto f32Vec = VectorType::get({w}, builder.getF32Type());
  kb.forEachElement(src.rows, src.cols / w, [&](Value i, Value jv) {
    Value j = kb.mul(jv, kb.idx(w));
    Value t = kb.add(t0, i);
    kb.ifThen(kb.lt(t, kb.idx(T)), [&] {
      Value x = vector::LoadOp::create(
          builder, loc, VectorType::get({w}, srcTy), src.mem,
          ValueRange{i, j}, false, llvm::MaybeAlign(srcBytes * w));
      if (!srcTy.isF32() && (transform || srcTy != outTy))
        x = arith::ExtFOp::create(builder, loc, f32Vec, x);
      if (transform) {
        SmallVector<Value> elems;
        for (int64_t e = 0; e < w; ++e)
          elems.push_back(
              transform(vector::ExtractOp::create(builder, loc, x, e), i));
        x = vector::FromElementsOp::create(builder, loc, f32Vec, elems);
      }
      if (getElementTypeOrSelf(x.getType()) != outTy)
        x = arith::TruncFOp::create(builder, loc, VectorType::get({w}, outTy),
                                    x);
      vector::StoreOp::create(
          builder, loc, x, dst, ValueRange{b, t, h, kb.add(d0, j)}, false,
          llvm::MaybeAlign(w * outTy.getIntOrFloatBitWidth() / 8));
    });
  });
}

void mlir::attn::gpu_codegen::convertTile(KernelBuilder &kb, SmemTile src,
                                          SmemTile dst) {
  OpBuilder &builder = kb.b();
  Location loc = kb.loc();
  Type srcTy = src.elementType(), dstTy = dst.elementType();
  int64_t w = src.cols % 4 == 0 ? 4 : 1;
  kb.forEachElement(src.rows, src.cols / w, [&](Value i, Value jv) {
    Value j = kb.mul(jv, kb.idx(w));
    Value x = vector::LoadOp::create(
        builder, loc, VectorType::get({w}, srcTy), src.mem, ValueRange{i, j},
        false, llvm::MaybeAlign(w * srcTy.getIntOrFloatBitWidth() / 8));
    x = arith::TruncFOp::create(builder, loc, VectorType::get({w}, dstTy), x);
    vector::StoreOp::create(
        builder, loc, x, dst.mem, ValueRange{i, j}, false,
        llvm::MaybeAlign(w * dstTy.getIntOrFloatBitWidth() / 8));
  });
}

void mlir::attn::gpu_codegen::storePair(KernelBuilder &kb, Value lo, Value hi,
                                        Value dst, ValueRange indices) {
  OpBuilder &builder = kb.b();
  Location loc = kb.loc();
  Type ty = cast<MemRefType>(dst.getType()).getElementType();
  auto vecTy = VectorType::get({2}, ty);
  Value x = vector::FromElementsOp::create(
      builder, loc, vecTy, ValueRange{kb.fromF32(lo, ty), kb.fromF32(hi, ty)});
  vector::StoreOp::create(builder, loc, x, dst, indices, /*nontemporal=*/false,
                          llvm::MaybeAlign(2 * ty.getIntOrFloatBitWidth() / 8));
}

void mlir::attn::gpu_codegen::storeAccumulatorRows(KernelBuilder &kb,
                                                   ArrayRef<Value> acc,
                                                   Value dst,
                                                   RowPieceIndex at) {
  OpBuilder &builder = kb.b();
  Location loc = kb.loc();
  const int64_t nTiles = acc.size() / 4;
  assert(nTiles % 4 == 0 && "lanes trade tiles in groups of four");
  Value lane = kb.laneId();
  Value q = kb.rem(lane, kb.idx(4));
  Value quad = kb.sub(lane, q);
  Value row = kb.div(lane, kb.idx(4));
  // xs[i] for a lane-dependent i in 0..3.
  auto pick = [&](ArrayRef<Value> xs, Value i) {
    Value r = xs[0];
    for (int64_t k = 1; k < 4; ++k)
      r = kb.select(arith::CmpIOp::create(builder, loc,
                                          arith::CmpIPredicate::eq, i,
                                          kb.idx(k)),
                    xs[k], r);
    return r;
  };
  auto mod4 = [&](Value x, int64_t plus) {
    return kb.rem(kb.add(x, kb.idx(plus)), kb.idx(4));
  };
  auto i32 = [&](Value x) {
    return arith::IndexCastOp::create(builder, loc, builder.getI32Type(), x);
  };
  auto words8 = VectorType::get({8}, builder.getBF16Type());
  for (int64_t g = 0; g < nTiles / 4; ++g)
    for (int64_t h = 0; h < 2; ++h) {
      // words[t]: this lane's columns 2q, 2q + 1 of tile 4g + t, row h.
      SmallVector<Value> words;
      for (int64_t t = 0; t < 4; ++t)
        words.push_back(packBf16(kb, acc[4 * (4 * g + t) + 2 * h],
                                 acc[4 * (4 * g + t) + 2 * h + 1]));
      // Step s: lane j sends its word of tile (j + s) % 4, lane q reads lane
      // (q - s) % 4: the pair at columns 2j of its own tile q.
      SmallVector<Value> got;
      for (int64_t s = 0; s < 4; ++s) {
        Value src = kb.add(quad, mod4(q, 4 - s));
        got.push_back(gpu::ShuffleOp::create(builder, loc,
                                             pick(words, mod4(q, s)),
                                             i32(src), i32(kb.idx(32)),
                                             gpu::ShuffleMode::IDX)
                          .getShuffleResult());
      }
      SmallVector<Value> piece;
      for (int64_t j = 0; j < 4; ++j)
        piece.push_back(pick(got, mod4(q, 4 - j)));
      Value v = vector::FromElementsOp::create(
          builder, loc, VectorType::get({4}, builder.getI32Type()), piece);
      v = vector::BitCastOp::create(builder, loc, words8, v);
      Value col = kb.mul(kb.add(q, kb.idx(4 * g)), kb.idx(8));
      vector::StoreOp::create(builder, loc, v, dst,
                              at(kb.add(row, kb.idx(8 * h)), col),
                              /*nontemporal=*/false, llvm::MaybeAlign(16));
    }
}

void mlir::attn::gpu_codegen::mapTileInPlace(KernelBuilder &kb, SmemTile tile,
                                             function_ref<Value(Value)> f) {
  OpBuilder &builder = kb.b();
  Location loc = kb.loc();
  Type ty = tile.elementType();
  int64_t bytes = ty.getIntOrFloatBitWidth() / 8;
  int64_t w = tile.cols % (16 / bytes) == 0 ? 16 / bytes : 1;
  auto vecTy = VectorType::get({w}, ty);
  kb.forEachElement(tile.rows, tile.cols / w, [&](Value i, Value jv) {
    Value j = kb.mul(jv, kb.idx(w));
    Value x = vector::LoadOp::create(builder, loc, vecTy, tile.mem,
                                     ValueRange{i, j}, false,
                                     llvm::MaybeAlign(w * bytes));
    SmallVector<Value> elems;
    for (int64_t e = 0; e < w; ++e)
      elems.push_back(kb.fromF32(
          f(kb.toF32(vector::ExtractOp::create(builder, loc, x, e))), ty));
    x = vector::FromElementsOp::create(builder, loc, vecTy, elems);
    vector::StoreOp::create(builder, loc, x, tile.mem, ValueRange{i, j},
                            false, llvm::MaybeAlign(w * bytes));
  });
}
