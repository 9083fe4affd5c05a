//===- KernelBuilder.h - building blocks of the attn GPU kernels -*- C++ -*-===//
//
// The attn GPU kernels are written at the level of shared-memory tiles: a
// thread block (4 warps) stages operands in dynamic shared memory, multiplies
// tiles on the tensor cores (ldmatrix + mma.sync m16n8k16, bf16 operands,
// f32 accumulation, see TileMma.h) and does the elementwise work with all its
// threads. KernelBuilder holds what every kernel needs for that: the thread
// and block indices, a bump allocator over dynamic shared memory, cooperative
// loops over tiles, and typed constants.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_LIB_CONVERSION_ATTNTOGPU_KERNELBUILDER_H
#define ATTN_LIB_CONVERSION_ATTNTOGPU_KERNELBUILDER_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"

#include <functional>

namespace mlir::attn::gpu_codegen {

/// Threads of an attn kernel's block unless its KernelSpec says otherwise
/// (the softmax kernel on warpgroup MMA has two warpgroups): four warps.
inline constexpr int64_t kDefaultWarps = 4;
inline constexpr int64_t kDefaultThreads = 32 * kDefaultWarps;

/// A rows x cols tile in shared memory, stored row-major with a padded row
/// (ld >= cols elements) so that ldmatrix rows fall in different banks.
struct SmemTile {
  Value mem; // memref<rows x ld x elem, workgroup>
  int64_t rows = 0, cols = 0;
  Type elementType() const {
    return cast<MemRefType>(mem.getType()).getElementType();
  }
};

class KernelBuilder {
public:
  /// Builds a kernel body whose blocks have `threads` threads (a multiple
  /// of 32).
  KernelBuilder(OpBuilder &b, Location loc, Value dynamicSmem,
                int64_t threads = kDefaultThreads);

  OpBuilder &b() { return builder; }
  Location loc() const { return location; }

  // Constants.
  Value idx(int64_t v);
  Value f32(double v);
  Value i1(bool v);

  // Index arithmetic (index type).
  Value add(Value a, Value c);
  Value sub(Value a, Value c);
  Value mul(Value a, Value c);
  Value div(Value a, Value c);
  Value rem(Value a, Value c);
  Value lt(Value a, Value c); // unsigned-free signed compare on index
  Value le(Value a, Value c);
  Value eq(Value a, Value c);
  Value minIdx(Value a, Value c);
  Value andI1(Value a, Value c);

  // f32 arithmetic.
  Value fadd(Value a, Value c);
  Value fsub(Value a, Value c);
  Value fmul(Value a, Value c);
  Value fdiv(Value a, Value c);
  Value fmax(Value a, Value c);
  Value fmin(Value a, Value c);
  /// e^x through exp2 (the hardware ex2.approx; exact enough for attention;
  /// `ftz` as for fexp2).
  Value fexp(Value x, bool ftz = false);
  /// 2^x (ex2.approx; with `ftz`, ex2.approx.ftz: results under 2^-126
  /// flush to 0, one MUFU.EX2 instead of a range fix-up around it).
  Value fexp2(Value x, bool ftz = false);
  /// a * b + c, rounded once (fma.rn.f32).
  Value ffma(Value a, Value b, Value c);
  Value select(Value cond, Value a, Value c);
  Value toF32(Value v);
  Value fromF32(Value v, Type t);

  /// Threads and warps of the block.
  int64_t threads() const { return numThreads; }
  int64_t warps() const { return numThreads / 32; }
  Value threadId() const { return tid; }
  Value warpId() const { return warp; }
  Value laneId() const { return lane; }

  /// A fresh rows x cols tile of `elem` in dynamic shared memory (16-byte
  /// aligned; rows padded by 16 bytes).
  SmemTile allocTile(int64_t rows, int64_t cols, Type elem);
  /// A fresh unpadded memref of `shape` x `elem` in dynamic shared memory
  /// (128-byte aligned).
  Value allocShared(ArrayRef<int64_t> shape, Type elem);
  /// Bytes of dynamic shared memory the kernel needs (the most allocated at
  /// any point).
  int64_t sharedBytes() const { return smemPeak; }
  /// Where the next tile goes; releaseShared(mark) gives back every tile
  /// allocated since, for tiles of a later phase to reuse (the caller puts
  /// a barrier between the last use of the old tiles and the first of the
  /// new).
  int64_t sharedMark() const { return smemBytes; }
  void releaseShared(int64_t mark) { smemBytes = mark; }

  void barrier();

  /// for (i = lb; i < ub; i += step) body(i)
  void forRange(Value lb, Value ub, int64_t step,
                function_ref<void(Value)> body);
  /// Every element (i, j) of a rows x cols range, spread over the block's
  /// threads (j fastest, so that a warp touches consecutive columns).
  void forEachElement(int64_t rows, int64_t cols,
                      function_ref<void(Value, Value)> body);
  /// Rows 0..rows-1 spread over the threads, one thread a row.
  void forEachRow(int64_t rows, function_ref<void(Value)> body);
  /// if (cond) then()
  void ifThen(Value cond, function_ref<void()> then);

  Value load(Value mem, ValueRange indices);
  void store(Value v, Value mem, ValueRange indices);

private:
  OpBuilder &builder;
  Location location;
  Value smem;
  int64_t numThreads;
  int64_t smemBytes = 0, smemPeak = 0;
  Value tid, warp, lane;
};

} // namespace mlir::attn::gpu_codegen

#endif // ATTN_LIB_CONVERSION_ATTNTOGPU_KERNELBUILDER_H
