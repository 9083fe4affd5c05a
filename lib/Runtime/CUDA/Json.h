//===- Json.h - A small strict JSON reader ---------------------*- C++ -*-===//
//
// RFC 8259 JSON, strictly: no comments, no trailing commas, no NaN/Infinity,
// no leading zeros or '+', no duplicate object keys, well-formed UTF-8 and
// \u escapes (surrogates paired), nesting at most 64 deep. Every value
// remembers the line and column where it starts, so the manifest reader can
// point at the offending value. Plain C++17, no CUDA and no third-party code.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_CUDA_JSON_H
#define ATTN_RUNTIME_CUDA_JSON_H

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace attn::cuda::json {

struct Value {
  enum class Kind { Null, Bool, Number, String, Array, Object };

  Kind kind = Kind::Null;
  bool boolean = false;
  double number = 0.0;
  // String: the decoded string. Number: the literal as written.
  std::string text;
  std::vector<Value> items;                            // Array
  std::vector<std::pair<std::string, Value>> members;  // Object, in order
  int line = 0, column = 0;                            // 1-based start

  bool isNull() const { return kind == Kind::Null; }
  bool isBool() const { return kind == Kind::Bool; }
  bool isNumber() const { return kind == Kind::Number; }
  bool isString() const { return kind == Kind::String; }
  bool isArray() const { return kind == Kind::Array; }
  bool isObject() const { return kind == Kind::Object; }
  // A number written without fraction or exponent that fits in int64_t.
  bool isInteger() const;
  // The value of an integer literal (isInteger() must hold).
  int64_t integer() const;
  // The member named `key` of an object, or null.
  const Value *find(std::string_view key) const;
};

// "null", "boolean", "number", "string", "array", "object".
const char *kindName(Value::Kind kind);

// Parses `text` into `out`. On failure returns false and sets `error` to
// "LINE:COLUMN: message".
bool parse(std::string_view text, Value &out, std::string &error);

// Compact JSON text of `value` (numbers as written, strings re-escaped).
std::string serialize(const Value &value);

} // namespace attn::cuda::json

#endif // ATTN_RUNTIME_CUDA_JSON_H
