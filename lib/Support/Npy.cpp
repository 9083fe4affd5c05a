//===- Npy.cpp - read and write NumPy .npy files --------------------------===//
//
// The format (numpy/lib/format.py): the magic "\x93NUMPY", a major and minor
// version byte, the header length (uint16 little endian in 1.0, uint32 in 2.0
// and 3.0), then the header, a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces and ending in '\n', then the raw data in C order.
// Bytes are decoded explicitly as little endian, so the host byte order only
// matters for '=' (native) descriptors.
//
//===----------------------------------------------------------------------===//

#include "attn/Support/Npy.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace attn::npy {

namespace {

//===----------------------------------------------------------------------===//
// Element encodings
//===----------------------------------------------------------------------===//

size_t itemSize(DType dtype) {
  switch (dtype) {
  case DType::F16:
    return 2;
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F64:
    return 8;
  }
  return 0;
}

/// numpy's type string without the byte-order character.
const char *typeCode(DType dtype) {
  switch (dtype) {
  case DType::F16:
    return "f2";
  case DType::F32:
    return "f4";
  case DType::F64:
    return "f8";
  case DType::I32:
    return "i4";
  }
  return "?";
}

uint64_t loadLE(const uint8_t *p, size_t n) {
  uint64_t x = 0;
  for (size_t i = 0; i < n; ++i)
    x |= static_cast<uint64_t>(p[i]) << (8 * i);
  return x;
}

void storeLE(uint8_t *p, uint64_t x, size_t n) {
  for (size_t i = 0; i < n; ++i)
    p[i] = static_cast<uint8_t>(x >> (8 * i));
}

/// x >> s rounded to nearest, ties to even (1 <= s <= 63).
uint64_t shiftRoundEven(uint64_t x, int s) {
  uint64_t q = x >> s;
  uint64_t rem = x & ((uint64_t(1) << s) - 1);
  uint64_t half = uint64_t(1) << (s - 1);
  if (rem > half || (rem == half && (q & 1)))
    ++q;
  return q;
}

/// IEEE binary16 from a double, rounded once to nearest even (rounding via
/// float first would round twice and get some ties wrong).
uint16_t doubleToHalf(double x) {
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  uint16_t sign = static_cast<uint16_t>((bits >> 48) & 0x8000);
  int exp = static_cast<int>((bits >> 52) & 0x7FF);
  uint64_t mant = bits & ((uint64_t(1) << 52) - 1);
  if (exp == 0x7FF) // inf, or NaN (kept quiet, with the top payload bits)
    return static_cast<uint16_t>(sign | 0x7C00 |
                                 (mant ? 0x0200 | (mant >> 42) : 0));
  int e = exp - 1023; // unbiased; a double subnormal has e = -1023
  if (e < -25)        // below half the smallest half subnormal (2^-24)
    return sign;
  uint64_t sig = (uint64_t(1) << 52) | mant; // value = sig * 2^(e-52)
  uint64_t h;
  if (e < -14) {
    // Half subnormal: count units of 2^-24. A carry into 0x400 lands
    // exactly on the smallest normal, so no special case is needed.
    h = shiftRoundEven(sig, 28 - e);
  } else {
    // Normal: keep 11 significant bits. A carry out of the mantissa bumps
    // the exponent by adding into it, and past the top it becomes 0x7C00.
    uint64_t r = shiftRoundEven(sig, 42); // in [2^10, 2^11]
    h = (static_cast<uint64_t>(e + 15) << 10) + (r - 1024);
    if (h >= 0x7C00)
      h = 0x7C00; // overflow to infinity
  }
  return static_cast<uint16_t>(sign | h);
}

/// Exact: every binary16 value is a double.
double halfToDouble(uint16_t h) {
  double sign = (h & 0x8000) ? -1.0 : 1.0;
  int e = (h >> 10) & 0x1F;
  int m = h & 0x3FF;
  if (e == 0)
    return sign * std::ldexp(m, -24);
  if (e == 31)
    return m ? std::numeric_limits<double>::quiet_NaN()
             : sign * std::numeric_limits<double>::infinity();
  return sign * std::ldexp(m + 1024, e - 25);
}

/// Nearest int32, ties to even; saturates, and NaN becomes 0.
int32_t doubleToI32(double x) {
  if (std::isnan(x))
    return 0;
  double r = std::nearbyint(x); // default rounding mode: ties to even
  if (r >= 2147483647.0)
    return std::numeric_limits<int32_t>::max();
  if (r <= -2147483648.0)
    return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(r);
}

//===----------------------------------------------------------------------===//
// Header parsing: just the Python literals numpy writes
//===----------------------------------------------------------------------===//

bool hostIsLittleEndian() {
  uint16_t one = 1;
  uint8_t first;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

struct Header {
  std::string descr;
  bool fortranOrder = false;
  std::vector<int64_t> shape;
};

/// A recursive-descent parser of the header dict; on failure sets `error`.
class HeaderParser {
public:
  explicit HeaderParser(const std::string &text) : s(text) {}

  bool parse(Header &h, std::string &error) {
    bool haveDescr = false, haveOrder = false, haveShape = false;
    skipSpace();
    if (!eat('{'))
      return fail(error, "header is not a dict");
    while (true) {
      skipSpace();
      if (eat('}'))
        break;
      std::string key;
      if (!parseString(key))
        return fail(error, "expected a quoted key in the header");
      skipSpace();
      if (!eat(':'))
        return fail(error, "expected ':' after '" + key + "' in the header");
      skipSpace();
      if (key == "descr") {
        if (peek() == '[')
          return fail(error, "structured dtypes are not supported");
        if (!parseString(h.descr))
          return fail(error, "'descr' is not a string");
        haveDescr = true;
      } else if (key == "fortran_order") {
        if (!parseBool(h.fortranOrder))
          return fail(error, "'fortran_order' is not True or False");
        haveOrder = true;
      } else if (key == "shape") {
        if (!parseShape(h.shape))
          return fail(error, "'shape' is not a tuple of non-negative ints");
        haveShape = true;
      } else {
        return fail(error, "unexpected key '" + key + "' in the header");
      }
      skipSpace();
      if (eat(','))
        continue;
      skipSpace();
      if (!eat('}'))
        return fail(error, "expected ',' or '}' in the header");
      break;
    }
    skipSpace();
    if (pos != s.size())
      return fail(error, "unexpected text after the header dict");
    if (!haveDescr || !haveOrder || !haveShape)
      return fail(error, "header lacks 'descr', 'fortran_order' or 'shape'");
    return true;
  }

private:
  const std::string &s;
  size_t pos = 0;

  static bool fail(std::string &error, const std::string &msg) {
    error = msg;
    return false;
  }
  char peek() const { return pos < s.size() ? s[pos] : '\0'; }
  bool eat(char c) {
    if (peek() != c)
      return false;
    ++pos;
    return true;
  }
  void skipSpace() {
    while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t' ||
                              s[pos] == '\n' || s[pos] == '\r'))
      ++pos;
  }
  bool parseString(std::string &out) {
    char quote = peek();
    if (quote != '\'' && quote != '"')
      return false;
    size_t end = s.find(quote, pos + 1);
    if (end == std::string::npos)
      return false;
    out = s.substr(pos + 1, end - pos - 1);
    pos = end + 1;
    return true;
  }
  bool parseWord(const char *w) {
    size_t n = std::strlen(w);
    if (s.compare(pos, n, w) != 0)
      return false;
    pos += n;
    return true;
  }
  bool parseBool(bool &out) {
    if (parseWord("True"))
      return out = true, true;
    if (parseWord("False"))
      return out = false, true;
    return false;
  }
  bool parseInt(int64_t &out) {
    size_t start = pos;
    uint64_t v = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      v = v * 10 + static_cast<uint64_t>(s[pos] - '0');
      if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        return false;
      ++pos;
    }
    if (pos == start)
      return false;
    eat('L'); // Python 2 longs, in files written long ago
    out = static_cast<int64_t>(v);
    return true;
  }
  bool parseShape(std::vector<int64_t> &shape) {
    shape.clear();
    if (!eat('('))
      return false;
    while (true) {
      skipSpace();
      if (eat(')'))
        return true;
      int64_t d;
      if (!parseInt(d))
        return false;
      shape.push_back(d);
      skipSpace();
      if (eat(','))
        continue;
      skipSpace();
      return eat(')');
    }
  }
};

/// Maps a descr such as '<f4' to a DType; on failure sets `error`.
bool parseDescr(const std::string &descr, DType &dtype, std::string &error) {
  if (descr.size() < 2) {
    error = "unsupported dtype '" + descr + "'";
    return false;
  }
  char order = descr[0];
  std::string code = descr.substr(1);
  if (order == '>' || order == '!' ||
      (order == '=' && !hostIsLittleEndian())) {
    error = "big-endian dtype '" + descr +
            "' is not supported (only little endian)";
    return false;
  }
  // '<' is little endian; '=' is native (little endian here); '|' means "not
  // applicable" and numpy itself reads '|f4' as the native type.
  if (order != '<' && order != '=' && order != '|') {
    error = "unsupported dtype '" + descr + "'";
    return false;
  }
  for (DType t : {DType::F16, DType::F32, DType::F64, DType::I32})
    if (code == typeCode(t)) {
      dtype = t;
      return true;
    }
  error = "unsupported dtype '" + descr +
          "' (supported: <f2, <f4, <f8, <i4)";
  return false;
}

/// Product of the dimensions, or -1 on overflow or a negative dimension.
int64_t checkedProduct(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return -1;
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d)
      return -1;
    n *= d;
  }
  return n;
}

std::string shapeRepr(const std::vector<int64_t> &shape) {
  // Python tuple syntax: (), (5,), (2, 3)
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < shape.size(); ++i)
    os << (i ? ", " : "") << shape[i];
  if (shape.size() == 1)
    os << ",";
  os << ")";
  return os.str();
}

} // namespace

//===----------------------------------------------------------------------===//
// NpyArray
//===----------------------------------------------------------------------===//

int64_t NpyArray::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::vector<double> NpyArray::toDoubles() const {
  size_t size = itemSize(dtype);
  size_t n = bytes.size() / size;
  std::vector<double> out(n);
  for (size_t i = 0; i < n; ++i) {
    uint64_t x = loadLE(&bytes[i * size], size);
    switch (dtype) {
    case DType::F16:
      out[i] = halfToDouble(static_cast<uint16_t>(x));
      break;
    case DType::F32: {
      uint32_t u = static_cast<uint32_t>(x);
      float f;
      std::memcpy(&f, &u, sizeof f);
      out[i] = f;
      break;
    }
    case DType::F64:
      std::memcpy(&out[i], &x, sizeof(double));
      break;
    case DType::I32:
      out[i] = static_cast<int32_t>(static_cast<uint32_t>(x));
      break;
    }
  }
  return out;
}

NpyArray fromDoubles(DType dtype, std::vector<int64_t> shape,
                     const std::vector<double> &values) {
  int64_t n = checkedProduct(shape);
  if (n < 0 || static_cast<uint64_t>(n) != values.size())
    throw std::invalid_argument("fromDoubles: shape " + shapeRepr(shape) +
                                " does not hold " +
                                std::to_string(values.size()) + " values");
  NpyArray a;
  a.dtype = dtype;
  a.shape = std::move(shape);
  size_t size = itemSize(dtype);
  a.bytes.resize(values.size() * size);
  for (size_t i = 0; i < values.size(); ++i) {
    uint64_t x = 0;
    switch (dtype) {
    case DType::F16:
      x = doubleToHalf(values[i]);
      break;
    case DType::F32: {
      // The hardware conversion rounds to nearest even (the default mode);
      // values past the float range become +-inf.
      float f = static_cast<float>(values[i]);
      uint32_t u;
      std::memcpy(&u, &f, sizeof u);
      x = u;
      break;
    }
    case DType::F64:
      std::memcpy(&x, &values[i], sizeof x);
      break;
    case DType::I32:
      x = static_cast<uint32_t>(doubleToI32(values[i]));
      break;
    }
    storeLE(&a.bytes[i * size], x, size);
  }
  return a;
}

const char *dtypeName(DType dtype) {
  switch (dtype) {
  case DType::F16:
    return "float16";
  case DType::F32:
    return "float32";
  case DType::F64:
    return "float64";
  case DType::I32:
    return "int32";
  }
  return "unknown";
}

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

bool readNpy(const std::string &path, NpyArray &out, std::string &error) {
  auto fail = [&](const std::string &msg) {
    error = "'" + path + "': " + msg;
    return false;
  };

  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return fail("is a directory, not a .npy file");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(std::string("cannot open: ") + std::strerror(errno));
  std::string file;
  // libstdc++'s filebuf throws on a read error (e.g. EISDIR, EIO) instead of
  // setting badbit.
  try {
    file.assign(std::istreambuf_iterator<char>(in),
                std::istreambuf_iterator<char>());
  } catch (const std::exception &e) {
    return fail(std::string("read error: ") + e.what());
  }
  if (in.bad())
    return fail("read error");
  return parseNpy(file, path, out, error);
}

bool parseNpy(const std::string &file, const std::string &name, NpyArray &out,
              std::string &error) {
  auto fail = [&](const std::string &msg) {
    error = "'" + name + "': " + msg;
    return false;
  };

  static const char magic[] = "\x93NUMPY";
  if (file.size() < 8 || file.compare(0, 6, magic, 6) != 0)
    return fail("not a .npy file (bad magic)");
  unsigned major = static_cast<uint8_t>(file[6]);
  unsigned minor = static_cast<uint8_t>(file[7]);
  if (major < 1 || major > 3 || minor != 0)
    return fail("unsupported .npy format version " + std::to_string(major) +
                "." + std::to_string(minor));
  // 1.0 has a uint16 header length, 2.0 and 3.0 (utf8 header) a uint32.
  size_t lenBytes = major == 1 ? 2 : 4;
  if (file.size() < 8 + lenBytes)
    return fail("truncated header");
  size_t headerLen = static_cast<size_t>(
      loadLE(reinterpret_cast<const uint8_t *>(file.data()) + 8, lenBytes));
  size_t dataStart = 8 + lenBytes + headerLen;
  if (file.size() < dataStart)
    return fail("truncated header");

  Header header;
  std::string headerError;
  if (!HeaderParser(file.substr(8 + lenBytes, headerLen))
           .parse(header, headerError))
    return fail("bad header: " + headerError);
  DType dtype;
  if (!parseDescr(header.descr, dtype, headerError))
    return fail(headerError);
  if (header.fortranOrder)
    return fail("Fortran-order arrays are not supported (C order only)");

  int64_t n = checkedProduct(header.shape);
  size_t size = itemSize(dtype);
  if (n < 0 || static_cast<uint64_t>(n) >
                   std::numeric_limits<uint64_t>::max() / size)
    return fail("shape " + shapeRepr(header.shape) + " is too large");
  uint64_t dataBytes = static_cast<uint64_t>(n) * size;
  if (file.size() - dataStart < dataBytes)
    return fail("truncated data: shape " + shapeRepr(header.shape) + " of " +
                dtypeName(dtype) + " needs " + std::to_string(dataBytes) +
                " bytes, the file has " +
                std::to_string(file.size() - dataStart));
  // Bytes after the data are ignored, as numpy does.

  out.dtype = dtype;
  out.shape = header.shape;
  out.bytes.assign(file.begin() + static_cast<std::ptrdiff_t>(dataStart),
                   file.begin() +
                       static_cast<std::ptrdiff_t>(dataStart + dataBytes));
  return true;
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

bool writeNpy(const std::string &path, const NpyArray &array,
              std::string &error) {
  auto fail = [&](const std::string &msg) {
    error = "'" + path + "': " + msg;
    return false;
  };

  int64_t n = checkedProduct(array.shape);
  size_t size = itemSize(array.dtype);
  if (n < 0)
    return fail("invalid shape " + shapeRepr(array.shape));
  if (array.bytes.size() != static_cast<uint64_t>(n) * size)
    return fail("shape " + shapeRepr(array.shape) + " of " +
                dtypeName(array.dtype) + " needs " +
                std::to_string(static_cast<uint64_t>(n) * size) +
                " bytes, the array has " + std::to_string(array.bytes.size()));

  std::string dict = std::string("{'descr': '<") + typeCode(array.dtype) +
                     "', 'fortran_order': False, 'shape': " +
                     shapeRepr(array.shape) + ", }";
  // Pad with spaces and end with '\n' so the data starts at a multiple of 64
  // bytes, as numpy does. Version 1.0 unless the header cannot fit a uint16.
  unsigned major = 1;
  size_t prefix = 10;
  auto padTo64 = [&] {
    std::string h = dict;
    size_t total = prefix + h.size() + 1;
    h.append((64 - total % 64) % 64, ' ');
    h.push_back('\n');
    return h;
  };
  std::string header = padTo64();
  if (header.size() > 0xFFFF) {
    major = 2;
    prefix = 12;
    header = padTo64();
  }

  std::string bytes("\x93NUMPY", 6);
  bytes.push_back(static_cast<char>(major));
  bytes.push_back(0);
  uint8_t len[4];
  storeLE(len, header.size(), prefix - 8);
  bytes.append(reinterpret_cast<const char *>(len), prefix - 8);
  bytes += header;

  std::ofstream os(path, std::ios::binary | std::ios::trunc);
  if (!os)
    return fail(std::string("cannot open for writing: ") +
                std::strerror(errno));
  os.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  os.write(reinterpret_cast<const char *>(array.bytes.data()),
           static_cast<std::streamsize>(array.bytes.size()));
  os.close();
  if (!os)
    return fail("write error");
  return true;
}

} // namespace attn::npy
