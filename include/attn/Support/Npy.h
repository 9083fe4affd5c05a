//===- Npy.h - read and write NumPy .npy files ----------------*- C++ -*-===//
//
// Just enough of the .npy format (version 1.0/2.0/3.0, C order, little endian)
// for attn-run and the tests: float32, float64, float16 and int32 arrays.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_SUPPORT_NPY_H
#define ATTN_SUPPORT_NPY_H

#include <cstdint>
#include <string>
#include <vector>

namespace attn::npy {

enum class DType { F16, F32, F64, I32 };

/// A loaded array: raw little-endian bytes in C order.
struct NpyArray {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;

  int64_t numElements() const;
  /// The elements converted to double (any dtype).
  std::vector<double> toDoubles() const;
};

/// Reads `path`. On failure returns false and sets `error` to a message that
/// names the file and what is wrong (missing, bad magic, unsupported dtype or
/// Fortran order, truncated data, ...).
bool readNpy(const std::string &path, NpyArray &out, std::string &error);

/// Parses the bytes of a .npy file; `name` (the file's) prefixes the errors.
/// readNpy is this on the file's content.
bool parseNpy(const std::string &bytes, const std::string &name, NpyArray &out,
              std::string &error);

/// Writes `array` to `path`. On failure returns false and sets `error`.
bool writeNpy(const std::string &path, const NpyArray &array,
              std::string &error);

/// Builds an array of `dtype` from doubles (rounded to nearest even for F16/F32).
NpyArray fromDoubles(DType dtype, std::vector<int64_t> shape,
                     const std::vector<double> &values);

/// "float32", "float16", ... for messages.
const char *dtypeName(DType dtype);

} // namespace attn::npy

#endif // ATTN_SUPPORT_NPY_H
