//===- JsonReader.h - JSON that knows where its values are ------*- C++ -*-===//
//
// nlohmann_json parses (strict RFC 8259: no comments, trailing commas, NaN or
// Infinity; well-formed UTF-8). Its DOM keeps no source positions, so the
// document records where each value starts, for messages that point at the
// offending value. It also rejects duplicate keys (nlohmann would keep the
// last one) and nesting deeper than 64 levels.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_CUDA_JSONREADER_H
#define ATTN_RUNTIME_CUDA_JSONREADER_H

#include <nlohmann/json.hpp>

// CMake checks a package's version; bare headers are checked here.
static_assert(NLOHMANN_JSON_VERSION_MAJOR > 3 ||
                  (NLOHMANN_JSON_VERSION_MAJOR == 3 &&
                   NLOHMANN_JSON_VERSION_MINOR >= 10),
              "the CUDA runtime needs nlohmann_json 3.10 or newer");

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace attn::cuda {

// Objects keep their members in document order.
using Json = nlohmann::ordered_json;

class JsonDocument {
public:
  // Parses `text`, which must outlive the document. On failure returns
  // false and sets `error` to "LINE:COLUMN: message".
  bool parse(std::string_view text, std::string &error);

  const Json &root() const { return rootValue; }

  // "LINE:COLUMN" (1-based, in bytes) where `value` starts, or "" if it is
  // not a value of this document.
  std::string location(const Json &value) const;

private:
  std::string_view text;
  Json rootValue;
  // Where each value starts, in document order (a pre-order walk of the
  // tree visits the values in the same order).
  std::vector<size_t> starts;
};

} // namespace attn::cuda

#endif // ATTN_RUNTIME_CUDA_JSONREADER_H
