//===- HostArray.h - attn-run's typed host buffers ---------------*- C++ -*-===//
#ifndef ATTN_TOOLS_ATTN_RUN_HOSTARRAY_H
#define ATTN_TOOLS_ATTN_RUN_HOSTARRAY_H

#include "mlir/IR/Types.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attn::run {

enum class ElemKind { F32, F16, BF16, I32 };

/// A dense row-major array in one of the element types functions take,
/// stored as the raw bits the compiled code reads and writes (i32 for
/// packed-sequence offsets, floats for everything else).
struct HostArray {
  ElemKind kind = ElemKind::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes; // 8-byte aligned storage via resize in ctor

  HostArray() = default;
  HostArray(ElemKind kind, std::vector<int64_t> shape);
  int64_t numElements() const;
  size_t elementSize() const;
  void *data() { return bytes.data(); }

  double get(int64_t i) const;
  /// Stores `value` rounded to nearest even in the element type (i32:
  /// truncated toward zero).
  void set(int64_t i, double value);
  std::vector<double> toDoubles() const;
};

/// The element kind of an MLIR type, or an error message.
bool elemKindOf(mlir::Type type, ElemKind &kind, std::string &error);
const char *elemKindName(ElemKind kind);

} // namespace attn::run

#endif // ATTN_TOOLS_ATTN_RUN_HOSTARRAY_H
