//===- JsonReader.cpp - JSON documents that know where their values are ---===//

#include "JsonReader.h"

#include <iterator>
#include <utility>

namespace attn::cuda {

namespace {

constexpr size_t kMaxDepth = 64;

std::string lineColumn(std::string_view text, size_t offset) {
  if (offset > text.size())
    offset = text.size();
  size_t line = 1, lineStart = 0;
  for (size_t i = 0; i < offset; ++i)
    if (text[i] == '\n') {
      ++line;
      lineStart = i + 1;
    }
  return std::to_string(line) + ":" + std::to_string(offset - lineStart + 1);
}

// nlohmann's what() reads "[json.exception.parse_error.101] parse error at
// line 1, column 7: syntax error while parsing value - unexpected '}'; ...";
// the position is reported separately, so keep what follows it.
std::string errorText(const Json::exception &e) {
  std::string text = e.what();
  auto dropThrough = [&](const char *prefix, const char *separator) {
    size_t at = text.find(separator);
    if (text.rfind(prefix, 0) == 0 && at != std::string::npos)
      text.erase(0, at + std::char_traits<char>::length(separator));
  };
  dropThrough("[json.exception.", "] ");
  dropThrough("parse error", ": ");
  dropThrough("syntax error", "- ");
  return text;
}

// The lexer reads the text through this iterator, which notes how far it
// got. A SAX event comes as soon as its token is read (a number's lexer
// reads one byte past it), so the token of an event starts after what the
// events before it had read, once the separators between tokens are skipped.
class TrackingIterator {
public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char *;
  using reference = const char &;

  TrackingIterator(const char *start, const char **farthestOut)
      : at(start), farthest(farthestOut) {}

  reference operator*() const { return *at; }
  TrackingIterator &operator++() {
    *farthest = ++at;
    return *this;
  }
  TrackingIterator operator++(int) {
    TrackingIterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const TrackingIterator &other) const {
    return at == other.at;
  }
  bool operator!=(const TrackingIterator &other) const {
    return at != other.at;
  }

private:
  const char *at;
  const char **farthest;
};

// Builds the tree from nlohmann's SAX events and notes each value's start.
class Builder final : public nlohmann::json_sax<Json> {
public:
  Builder(std::string_view input, const char *const &readUpTo, Json &rootOut,
          std::vector<size_t> &startsOut, std::string &errorOut)
      : text(input), read(readUpTo), root(rootOut), starts(startsOut),
        error(errorOut) {
    // nlohmann skips a UTF-8 byte-order mark.
    if (text.substr(0, 3) == "\xEF\xBB\xBF")
      consumed = 3;
  }

  bool null() override { return value(nullptr); }
  bool boolean(bool b) override { return value(b); }
  bool number_integer(number_integer_t n) override { return value(n); }
  bool number_unsigned(number_unsigned_t n) override { return value(n); }
  bool number_float(number_float_t x, const string_t &) override {
    return value(x);
  }
  bool string(string_t &s) override { return value(std::move(s)); }
  bool binary(binary_t &) override { return false; } // not in JSON text

  bool start_object(std::size_t) override { return open(Json::object()); }
  bool start_array(std::size_t) override { return open(Json::array()); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }

  bool key(string_t &k) override {
    size_t at = tokenStart();
    if (stack.back()->contains(k))
      return fail(at, "duplicate key \"" + k + "\"");
    pendingKey = std::move(k);
    return true;
  }

  bool parse_error(std::size_t position, const std::string &,
                   const Json::exception &e) override {
    // `position` counts the bytes read, the offending one included.
    size_t at = position ? position - 1 : 0;
    return fail(at, trailingComma(at)
                        ? std::string("trailing comma in ") +
                              (text[at] == '}' ? "object" : "array")
                        : errorText(e));
  }

private:
  // nlohmann says "unexpected '}'; expected string literal" for {"a": 1,}.
  bool trailingComma(size_t at) const {
    if (at >= text.size() || (text[at] != '}' && text[at] != ']'))
      return false;
    size_t p = text.find_last_not_of(" \t\n\r", at ? at - 1 : 0);
    return at && p != std::string_view::npos && text[p] == ',';
  }

  size_t tokenStart() {
    size_t p = consumed;
    while (p < text.size() &&
           (text[p] == ' ' || text[p] == '\t' || text[p] == '\n' ||
            text[p] == '\r' || text[p] == ',' || text[p] == ':'))
      ++p;
    consumed = size_t(read - text.data());
    return p;
  }

  Json *place(Json v) {
    if (stack.empty()) {
      root = std::move(v);
      return &root;
    }
    Json &parent = *stack.back();
    if (parent.is_array()) {
      parent.push_back(std::move(v));
      return &parent.back();
    }
    return &(parent[pendingKey] = std::move(v));
  }

  bool value(Json v) {
    starts.push_back(tokenStart());
    place(std::move(v));
    return true;
  }

  bool open(Json container) {
    size_t at = tokenStart();
    if (stack.size() == kMaxDepth)
      return fail(at, "nesting deeper than " + std::to_string(kMaxDepth) +
                          " levels");
    starts.push_back(at);
    stack.push_back(place(std::move(container)));
    return true;
  }

  bool close() {
    tokenStart();
    stack.pop_back();
    return true;
  }

  bool fail(size_t offset, const std::string &message) {
    error = lineColumn(text, offset) + ": " + message;
    return false;
  }

  std::string_view text;
  const char *const &read; // how far the lexer has read
  size_t consumed = 0;     // what the events so far have read
  Json &root;
  std::vector<size_t> &starts;
  std::string &error;
  std::vector<Json *> stack; // the open arrays and objects
  std::string pendingKey;
};

// Counts the values before `target` in a pre-order walk from `node`.
bool findValue(const Json &node, const Json *target, size_t &index) {
  if (&node == target)
    return true;
  ++index;
  if (node.is_structured())
    for (const Json &child : node)
      if (findValue(child, target, index))
        return true;
  return false;
}

} // namespace

bool JsonDocument::parse(std::string_view newText, std::string &error) {
  text = newText;
  rootValue = Json();
  starts.clear();
  const char *read = text.data();
  Builder builder(text, read, rootValue, starts, error);
  // No exception comes out: the builder takes the parse errors.
  return Json::sax_parse(TrackingIterator(text.data(), &read),
                         TrackingIterator(text.data() + text.size(), &read),
                         &builder, Json::input_format_t::json,
                         /*strict=*/true, /*ignore_comments=*/false);
}

std::string JsonDocument::location(const Json &value) const {
  size_t index = 0;
  if (!findValue(rootValue, &value, index) || index >= starts.size())
    return "";
  return lineColumn(text, starts[index]);
}

} // namespace attn::cuda
