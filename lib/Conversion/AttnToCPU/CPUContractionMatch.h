//===- CPUContractionMatch.h - contractions a vector kernel computes -*- C++ -*-===//
//
// The bufferized contractions of the attn lowerings have the shape
//
//   C[..., m, n] (+|-)= sum_k A[...] * B[..., n]      (n contiguous in C)
//
// with unit dimensions (B = H = 1 after attn-parallelize-heads) and possibly
// further parallel "batch" dimensions. This header describes such an op by
// the roles of its loop dimensions, which is all the register-tiled vector
// kernel (attn-cpu-vectorize-contractions) needs.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_LIB_TRANSFORMS_CPUCONTRACTIONMATCH_H
#define ATTN_LIB_TRANSFORMS_CPUCONTRACTIONMATCH_H

#include "CPUVectorEmitter.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>

namespace mlir::attn {

struct CPUContraction {
  static constexpr unsigned kNone = kConstantZeroDim;

  linalg::GenericOp op;
  /// Input operand numbers: A is read one scalar per (m, k) and broadcast;
  /// B is read as vectors along n.
  unsigned aInput = 0, bInput = 1;
  /// Loop dimensions. m is kNone when every output row is a batch row or C
  /// has a single row.
  unsigned m = kNone, n = kNone, k = kNone;
  /// Other parallel loop dimensions of extent > 1: loops around the kernel.
  SmallVector<unsigned> batch;
  /// Static extent of every loop dimension (1 for the unit dimensions, which
  /// are indexed at 0).
  SmallVector<int64_t> ranges;
  /// C -= A B instead of C += A B.
  bool subtract = false;
  /// B's contiguous dimension is k, not n (B^T in a matmul): the kernel
  /// first packs B into an f32 [K, N] buffer.
  bool packB = false;
  /// The linalg.fill of C right before the op, when the op overwrites all
  /// of C: the kernel starts its accumulators from the fill value instead
  /// of loading C, and the fill goes away.
  linalg::FillOp initFill;

  int64_t extent(unsigned dim) const { return dim == kNone ? 1 : ranges[dim]; }
};

/// Describes `op` if it is a bufferized contraction the vector kernel
/// computes: static sizes; one reduction; a body `out + x * y` or
/// `out - x * y` with x, y the two inputs (f32, or f16/bf16 extended to f32);
/// maps of loop dimensions and zeros; n contiguous in C and either contiguous
/// in B (or B's contiguous dimension k) and absent from A.
std::optional<CPUContraction> matchCPUContraction(linalg::GenericOp op);

} // namespace mlir::attn

#endif // ATTN_LIB_TRANSFORMS_CPUCONTRACTIONMATCH_H
