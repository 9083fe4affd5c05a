//===- CPUVectorEmitter.h - building vector loops over memrefs ---*- C++ -*-===//
//
// What the CPU vectorizing passes (contraction kernels, elementwise and
// reduction loops) share: reading a bufferized linalg op's indexing maps,
// the target's vector shape, and a builder of scf loops with (masked)
// vector loads and stores at the current values of the op's loop dimensions.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_LIB_TRANSFORMS_CPUVECTOREMITTER_H
#define ATTN_LIB_TRANSFORMS_CPUVECTOREMITTER_H

#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

#include <optional>

namespace mlir::attn {

/// A map result that is the constant 0 (indexing a unit dimension).
constexpr unsigned kConstantZeroDim = ~0u;

/// The loop dimension of `map`'s result `i`, kConstantZeroDim for the
/// constant 0, nullopt for any other expression.
std::optional<unsigned> mapResultDim(AffineMap map, unsigned i);

/// Whether `map` has only loop dimensions and zeros as results.
bool isDimsAndZeros(AffineMap map);

/// Whether `memref` has a static innermost stride of 1.
bool hasUnitInnermostStride(Value memref);

/// The vector shape of a CPU target description: f32 lanes per vector and
/// the number of vector registers.
struct CPUVectorShape {
  int64_t lanes;
  int64_t registers;
};

/// The vector shape of the CPU target `targetName`, or failure with an error
/// on `op` naming `pass` when it is not a known CPU target.
FailureOr<CPUVectorShape> resolveCPUVectorShape(Operation *op,
                                                StringRef targetName,
                                                StringRef pass);

/// Builds loops and vector accesses; `dims` holds the current value of each
/// loop dimension of the op being rewritten (null: 0, a unit dimension).
class CPUVectorEmitter {
public:
  CPUVectorEmitter(OpBuilder &b, Location loc, int64_t lanes,
                   unsigned numDims)
      : b(b), loc(loc), vw(lanes), dims(numDims, Value()) {}

  Value index(int64_t v);
  /// base + offset (base itself when offset is 0).
  Value plus(Value base, int64_t offset);
  /// The memref indices of `map` at the current loop dimension values.
  SmallVector<Value> indices(AffineMap map);
  /// `x` (a scalar or vector) extended to f32.
  Value toF32(Value x);
  /// A vw-lane mask of the first `lanes` lanes.
  Value laneMask(int64_t lanes);
  /// A vector of vw elements of `mem` at `idx` in mem's element type; only
  /// the first `lanes` are read (masked, the rest zero) when lanes < vw.
  Value loadVector(Value mem, ValueRange idx, int64_t lanes);
  /// Stores the first `lanes` lanes of `value` into `mem` at `idx`.
  void storeVector(Value value, Value mem, ValueRange idx, int64_t lanes);
  /// An scf.for from `lower` to `upper` by `step`; `body` builds its body
  /// from the induction variable. Nothing when the range is empty.
  void forLoop(int64_t lower, int64_t upper, int64_t step,
               function_ref<void(Value)> body);

protected:
  OpBuilder &b;
  Location loc;
  int64_t vw;
  SmallVector<Value> dims;
};

} // namespace mlir::attn

#endif // ATTN_LIB_TRANSFORMS_CPUVECTOREMITTER_H
