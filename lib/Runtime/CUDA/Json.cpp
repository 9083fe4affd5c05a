//===- Json.cpp - A small strict JSON reader -------------------------------===//

#include "Json.h"

#include <cctype>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace attn::cuda::json {

bool Value::isInteger() const {
  if (kind != Kind::Number)
    return false;
  if (text.find_first_of(".eE") != std::string::npos)
    return false;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc() && end == text.data() + text.size();
}

int64_t Value::integer() const {
  int64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

const Value *Value::find(std::string_view key) const {
  if (kind != Kind::Object)
    return nullptr;
  for (const auto &member : members)
    if (member.first == key)
      return &member.second;
  return nullptr;
}

const char *kindName(Value::Kind kind) {
  switch (kind) {
  case Value::Kind::Null:
    return "null";
  case Value::Kind::Bool:
    return "boolean";
  case Value::Kind::Number:
    return "number";
  case Value::Kind::String:
    return "string";
  case Value::Kind::Array:
    return "array";
  case Value::Kind::Object:
    return "object";
  }
  return "?";
}

namespace {

constexpr int kMaxDepth = 64;

class Parser {
public:
  explicit Parser(std::string_view input) : text(input) {}

  bool run(Value &out, std::string &error) {
    if (text.size() >= 3 && (unsigned char)text[0] == 0xEF &&
        (unsigned char)text[1] == 0xBB && (unsigned char)text[2] == 0xBF)
      return fail("a byte-order mark is not allowed in JSON", error);
    skipSpace();
    if (failed)
      return report(error);
    if (pos == text.size())
      return fail("empty document: expected a JSON value", error);
    if (!parseValue(out, 0))
      return report(error);
    skipSpace();
    if (failed)
      return report(error);
    if (pos != text.size())
      return fail("unexpected text after the JSON value", error);
    return true;
  }

private:
  std::string_view text;
  size_t pos = 0;
  int line = 1;
  size_t lineStart = 0;
  bool failed = false;
  std::string message;
  int errLine = 0, errColumn = 0;

  int column() const { return int(pos - lineStart) + 1; }

  bool error(const std::string &msg) {
    if (!failed) {
      failed = true;
      message = msg;
      errLine = line;
      errColumn = column();
    }
    return false;
  }
  bool fail(const std::string &msg, std::string &out) {
    error(msg);
    return report(out);
  }
  bool report(std::string &out) {
    out = std::to_string(errLine) + ":" + std::to_string(errColumn) + ": " +
          message;
    return false;
  }

  static std::string describe(char c) {
    unsigned char u = (unsigned char)c;
    char buf[32];
    if (u >= 0x20 && u < 0x7f)
      std::snprintf(buf, sizeof buf, "'%c'", c);
    else
      std::snprintf(buf, sizeof buf, "byte 0x%02x", u);
    return buf;
  }

  void skipSpace() {
    while (pos < text.size()) {
      char c = text[pos];
      if (c == '\n') {
        ++pos;
        ++line;
        lineStart = pos;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++pos;
      } else if (c == '/' && pos + 1 < text.size() &&
                 (text[pos + 1] == '/' || text[pos + 1] == '*')) {
        error("comments are not allowed in JSON");
        return;
      } else {
        return;
      }
    }
  }

  bool parseValue(Value &out, int depth) {
    out.line = line;
    out.column = column();
    if (pos >= text.size())
      return error("unexpected end of input: expected a JSON value");
    char c = text[pos];
    switch (c) {
    case '{':
      return parseObject(out, depth);
    case '[':
      return parseArray(out, depth);
    case '"':
      out.kind = Value::Kind::String;
      return parseString(out.text);
    case 't':
      return parseLiteral("true", out, Value::Kind::Bool, true);
    case 'f':
      return parseLiteral("false", out, Value::Kind::Bool, false);
    case 'n':
      return parseLiteral("null", out, Value::Kind::Null, false);
    default:
      if (c == '-' || (c >= '0' && c <= '9'))
        return parseNumber(out);
      if (c == 'N' || c == 'I')
        return error("NaN and Infinity are not JSON numbers");
      if (c == '+' || c == '.')
        return error("malformed number: JSON numbers start with '-' or a "
                     "digit");
      if (c == '\'')
        return error("strings must use double quotes");
      return error("unexpected " + describe(c) + ": expected a JSON value");
    }
  }

  bool parseLiteral(std::string_view word, Value &out, Value::Kind kind,
                    bool b) {
    if (text.substr(pos, word.size()) != word)
      return error("invalid literal: expected '" + std::string(word) + "'");
    size_t end = pos + word.size();
    if (end < text.size() && (std::isalnum((unsigned char)text[end]) ||
                              text[end] == '_'))
      return error("invalid literal: expected '" + std::string(word) + "'");
    pos = end;
    out.kind = kind;
    out.boolean = b;
    return true;
  }

  static bool isDigit(char c) { return c >= '0' && c <= '9'; }

  bool parseNumber(Value &out) {
    size_t start = pos;
    if (text[pos] == '-')
      ++pos;
    if (pos >= text.size() || !isDigit(text[pos]))
      return error("malformed number: expected a digit");
    if (text[pos] == '0') {
      ++pos;
      if (pos < text.size() && isDigit(text[pos]))
        return error("malformed number: leading zeros are not allowed");
    } else {
      while (pos < text.size() && isDigit(text[pos]))
        ++pos;
    }
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      if (pos >= text.size() || !isDigit(text[pos]))
        return error("malformed number: expected a digit after '.'");
      while (pos < text.size() && isDigit(text[pos]))
        ++pos;
    }
    if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
      ++pos;
      if (pos < text.size() && (text[pos] == '+' || text[pos] == '-'))
        ++pos;
      if (pos >= text.size() || !isDigit(text[pos]))
        return error("malformed number: expected a digit in the exponent");
      while (pos < text.size() && isDigit(text[pos]))
        ++pos;
    }
    if (pos < text.size() &&
        (std::isalpha((unsigned char)text[pos]) || text[pos] == '.'))
      return error("malformed number");
    out.kind = Value::Kind::Number;
    out.text = std::string(text.substr(start, pos - start));
    double d = 0;
    auto [end, ec] =
        std::from_chars(out.text.data(), out.text.data() + out.text.size(), d);
    if (ec == std::errc::result_out_of_range) {
      // Too large, or too small: underflow to 0 is fine.
      if (decimalExponent(out.text) > 0) {
        pos = start;
        return error("number out of range: " + out.text);
      }
      d = 0.0;
    } else if (ec != std::errc()) {
      pos = start;
      return error("malformed number: " + out.text);
    }
    out.number = d;
    return true;
  }

  // The power of ten of the leading nonzero digit of a valid JSON number
  // literal (0 for zero): positive for large magnitudes, negative for
  // small ones.
  static long decimalExponent(const std::string &lit) {
    size_t e = lit.find_first_of("eE");
    std::string mant = lit.substr(0, e);
    long exp = 0;
    if (e != std::string::npos) {
      const char *p = lit.c_str() + e + 1;
      bool neg = *p == '-';
      if (*p == '-' || *p == '+')
        ++p;
      for (; *p; ++p)
        exp = std::min(exp * 10 + (*p - '0'), 100000000L);
      if (neg)
        exp = -exp;
    }
    size_t dot = mant.find('.');
    std::string intPart = mant.substr(mant[0] == '-' ? 1 : 0,
                                      dot == std::string::npos
                                          ? std::string::npos
                                          : dot - (mant[0] == '-' ? 1 : 0));
    size_t nz = intPart.find_first_not_of('0');
    if (nz != std::string::npos)
      return long(intPart.size() - nz - 1) + exp;
    if (dot != std::string::npos) {
      size_t fnz = mant.find_first_not_of('0', dot + 1);
      if (fnz != std::string::npos)
        return -long(fnz - dot) + exp;
    }
    return 0;
  }

  bool parseHex4(uint32_t &v) {
    if (pos + 4 > text.size())
      return error("invalid \\u escape: expected 4 hex digits");
    v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text[pos + i];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= uint32_t(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= uint32_t(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= uint32_t(c - 'A' + 10);
      else
        return error("invalid \\u escape: expected 4 hex digits");
    }
    pos += 4;
    return true;
  }

  static void appendUtf8(std::string &s, uint32_t cp) {
    if (cp < 0x80) {
      s += char(cp);
    } else if (cp < 0x800) {
      s += char(0xC0 | (cp >> 6));
      s += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += char(0xE0 | (cp >> 12));
      s += char(0x80 | ((cp >> 6) & 0x3F));
      s += char(0x80 | (cp & 0x3F));
    } else {
      s += char(0xF0 | (cp >> 18));
      s += char(0x80 | ((cp >> 12) & 0x3F));
      s += char(0x80 | ((cp >> 6) & 0x3F));
      s += char(0x80 | (cp & 0x3F));
    }
  }

  // Copies one well-formed UTF-8 sequence starting at pos (a non-ASCII lead).
  bool copyUtf8(std::string &s) {
    unsigned char c = (unsigned char)text[pos];
    int n;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1, cp = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return error("invalid UTF-8 in string");
    }
    for (int i = 1; i <= n; ++i) {
      if (pos + i >= text.size())
        return error("invalid UTF-8 in string");
      unsigned char t = (unsigned char)text[pos + i];
      if ((t & 0xC0) != 0x80)
        return error("invalid UTF-8 in string");
      cp = (cp << 6) | (t & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return error("invalid UTF-8 in string");
    s.append(text.substr(pos, n + 1));
    pos += n + 1;
    return true;
  }

  bool parseString(std::string &out) {
    ++pos; // opening quote
    out.clear();
    while (true) {
      if (pos >= text.size())
        return error("unterminated string");
      char c = text[pos];
      if (c == '"') {
        ++pos;
        return true;
      }
      if ((unsigned char)c < 0x20)
        return error(c == '\n' ? "unterminated string (newline in string)"
                               : "control character " + describe(c) +
                                     " in string: escape it");
      if ((unsigned char)c >= 0x80) {
        if (!copyUtf8(out))
          return false;
        continue;
      }
      if (c != '\\') {
        out += c;
        ++pos;
        continue;
      }
      ++pos;
      if (pos >= text.size())
        return error("unterminated string");
      char e = text[pos++];
      switch (e) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '/':
        out += '/';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        uint32_t cp;
        if (!parseHex4(cp))
          return false;
        if (cp >= 0xDC00 && cp <= 0xDFFF)
          return error("invalid \\u escape: unpaired low surrogate");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (text.substr(pos, 2) != "\\u")
            return error("invalid \\u escape: unpaired high surrogate");
          pos += 2;
          uint32_t lo;
          if (!parseHex4(lo))
            return false;
          if (lo < 0xDC00 || lo > 0xDFFF)
            return error("invalid \\u escape: unpaired high surrogate");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        appendUtf8(out, cp);
        break;
      }
      default:
        --pos;
        return error("invalid escape '\\" + std::string(1, e) + "' in string");
      }
    }
  }

  bool parseArray(Value &out, int depth) {
    if (depth >= kMaxDepth)
      return error("nesting deeper than 64 levels");
    out.kind = Value::Kind::Array;
    ++pos; // '['
    skipSpace();
    if (failed)
      return false;
    if (pos < text.size() && text[pos] == ']') {
      ++pos;
      return true;
    }
    while (true) {
      out.items.emplace_back();
      if (!parseValue(out.items.back(), depth + 1))
        return false;
      skipSpace();
      if (failed)
        return false;
      if (pos >= text.size())
        return error("unterminated array: expected ',' or ']'");
      if (text[pos] == ']') {
        ++pos;
        return true;
      }
      if (text[pos] != ',')
        return error("expected ',' or ']' after an array element, got " +
                     describe(text[pos]));
      ++pos;
      skipSpace();
      if (failed)
        return false;
      if (pos < text.size() && text[pos] == ']')
        return error("trailing comma in array");
    }
  }

  bool parseObject(Value &out, int depth) {
    if (depth >= kMaxDepth)
      return error("nesting deeper than 64 levels");
    out.kind = Value::Kind::Object;
    ++pos; // '{'
    skipSpace();
    if (failed)
      return false;
    if (pos < text.size() && text[pos] == '}') {
      ++pos;
      return true;
    }
    while (true) {
      if (pos >= text.size())
        return error("unterminated object: expected a key");
      if (text[pos] != '"')
        return error("expected a double-quoted key, got " +
                     describe(text[pos]));
      int keyLine = line, keyColumn = column();
      std::string key;
      if (!parseString(key))
        return false;
      if (out.find(key)) {
        failed = true;
        message = "duplicate key \"" + key + "\"";
        errLine = keyLine;
        errColumn = keyColumn;
        return false;
      }
      skipSpace();
      if (failed)
        return false;
      if (pos >= text.size() || text[pos] != ':')
        return error("expected ':' after key \"" + key + "\"");
      ++pos;
      skipSpace();
      if (failed)
        return false;
      out.members.emplace_back(std::move(key), Value());
      if (!parseValue(out.members.back().second, depth + 1))
        return false;
      skipSpace();
      if (failed)
        return false;
      if (pos >= text.size())
        return error("unterminated object: expected ',' or '}'");
      if (text[pos] == '}') {
        ++pos;
        return true;
      }
      if (text[pos] != ',')
        return error("expected ',' or '}' after an object member, got " +
                     describe(text[pos]));
      ++pos;
      skipSpace();
      if (failed)
        return false;
      if (pos < text.size() && text[pos] == '}')
        return error("trailing comma in object");
    }
  }
};

void serializeString(const std::string &s, std::string &out) {
  out += '"';
  for (char c : s) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    default:
      if ((unsigned char)c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", (unsigned)(unsigned char)c);
        out += buf;
      } else {
        out += c;
      }
    }
  }
  out += '"';
}

void serializeInto(const Value &v, std::string &out) {
  switch (v.kind) {
  case Value::Kind::Null:
    out += "null";
    break;
  case Value::Kind::Bool:
    out += v.boolean ? "true" : "false";
    break;
  case Value::Kind::Number:
    out += v.text;
    break;
  case Value::Kind::String:
    serializeString(v.text, out);
    break;
  case Value::Kind::Array:
    out += '[';
    for (size_t i = 0; i < v.items.size(); ++i) {
      if (i)
        out += ',';
      serializeInto(v.items[i], out);
    }
    out += ']';
    break;
  case Value::Kind::Object:
    out += '{';
    for (size_t i = 0; i < v.members.size(); ++i) {
      if (i)
        out += ',';
      serializeString(v.members[i].first, out);
      out += ':';
      serializeInto(v.members[i].second, out);
    }
    out += '}';
    break;
  }
}

} // namespace

bool parse(std::string_view text, Value &out, std::string &error) {
  out = Value();
  Parser parser(text);
  return parser.run(out, error);
}

std::string serialize(const Value &value) {
  std::string out;
  serializeInto(value, out);
  return out;
}

} // namespace attn::cuda::json
