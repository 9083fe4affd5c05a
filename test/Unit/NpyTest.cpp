//===- NpyTest.cpp - tests of the .npy reader and writer ------------------===//

#include "attn/Support/Npy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

using namespace attn::npy;
namespace fs = std::filesystem;

namespace {

/// Each test gets a fresh temporary directory, removed afterwards.
class NpyTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "attn-npy-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string path(const std::string &name) const {
    return (dir / name).string();
  }
  void writeFile(const std::string &p, const std::string &content) const {
    std::ofstream os(p, std::ios::binary);
    os.write(content.data(), static_cast<std::streamsize>(content.size()));
  }
  std::string readFile(const std::string &p) const {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)),
                       std::istreambuf_iterator<char>());
  }
  /// Writes a .npy with a hand-made header (version 1.0 unless given).
  std::string makeNpy(const std::string &dict, const std::string &data,
                      int major = 1) const {
    std::string h = dict + "\n";
    std::string s("\x93NUMPY", 6);
    s.push_back(static_cast<char>(major));
    s.push_back(0);
    size_t n = h.size();
    s.push_back(static_cast<char>(n & 0xFF));
    s.push_back(static_cast<char>((n >> 8) & 0xFF));
    if (major >= 2) {
      s.push_back(0);
      s.push_back(0);
    }
    return s + h + data;
  }
  /// Expects reading `p` to fail with a message naming the file and
  /// containing `what`.
  void expectReadError(const std::string &p, const std::string &what) {
    NpyArray a;
    std::string error;
    EXPECT_FALSE(readNpy(p, a, error));
    EXPECT_NE(error.find(p), std::string::npos) << error;
    EXPECT_NE(error.find(what), std::string::npos) << error;
  }

  fs::path dir;
};

uint16_t half(double x) {
  NpyArray a = fromDoubles(DType::F16, {1}, {x});
  return static_cast<uint16_t>(a.bytes[0] | (a.bytes[1] << 8));
}

double fromHalf(uint16_t h) {
  NpyArray a;
  a.dtype = DType::F16;
  a.shape = {1};
  a.bytes = {static_cast<uint8_t>(h & 0xFF), static_cast<uint8_t>(h >> 8)};
  return a.toDoubles()[0];
}

} // namespace

//===----------------------------------------------------------------------===//
// Round trips
//===----------------------------------------------------------------------===//

TEST_F(NpyTest, RoundTripEveryDType) {
  // Integers, so that they are exact in every dtype, int32 included.
  std::vector<double> values = {0, -1, 2, 1024, -7, 3, 5, 100, -4, 8, 16, 42};
  for (DType t : {DType::F16, DType::F32, DType::F64, DType::I32}) {
    SCOPED_TRACE(dtypeName(t));
    for (std::vector<int64_t> shape :
         {std::vector<int64_t>{12}, {3, 4}, {2, 3, 2}, {1, 2, 1, 6}}) {
      NpyArray a = fromDoubles(t, shape, values);
      std::string p = path("a.npy"), error;
      ASSERT_TRUE(writeNpy(p, a, error)) << error;
      NpyArray b;
      ASSERT_TRUE(readNpy(p, b, error)) << error;
      EXPECT_EQ(b.dtype, t);
      EXPECT_EQ(b.shape, shape);
      EXPECT_EQ(b.bytes, a.bytes);
      EXPECT_EQ(b.numElements(), 12);
      EXPECT_EQ(b.toDoubles(), values);
    }
  }
}

TEST_F(NpyTest, RoundTripScalarAndEmpty) {
  std::string error;
  NpyArray s = fromDoubles(DType::F64, {}, {3.5}), e =
                   fromDoubles(DType::F32, {0, 4}, {});
  ASSERT_TRUE(writeNpy(path("s.npy"), s, error)) << error;
  ASSERT_TRUE(writeNpy(path("e.npy"), e, error)) << error;
  NpyArray rs, re;
  ASSERT_TRUE(readNpy(path("s.npy"), rs, error)) << error;
  ASSERT_TRUE(readNpy(path("e.npy"), re, error)) << error;
  EXPECT_TRUE(rs.shape.empty());
  EXPECT_EQ(rs.numElements(), 1);
  EXPECT_EQ(rs.toDoubles(), std::vector<double>{3.5});
  EXPECT_EQ(re.shape, (std::vector<int64_t>{0, 4}));
  EXPECT_EQ(re.numElements(), 0);
  EXPECT_TRUE(re.bytes.empty());
}

TEST_F(NpyTest, RoundTripSpecialValuesBitExact) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> values = {-0.0, inf, -inf, 1e-300, 1e300,
                                std::numeric_limits<double>::denorm_min()};
  NpyArray a = fromDoubles(DType::F64, {6}, values);
  std::string error;
  ASSERT_TRUE(writeNpy(path("x.npy"), a, error)) << error;
  NpyArray b;
  ASSERT_TRUE(readNpy(path("x.npy"), b, error)) << error;
  EXPECT_EQ(b.bytes, a.bytes);
  EXPECT_TRUE(std::signbit(b.toDoubles()[0]));
}

// numpy's own header layout: '<f4', C order, tuple shape, padded with spaces
// so the data starts at 128 here, and a final '\n'.
TEST_F(NpyTest, WritesNumpyHeaderAlignedTo64) {
  NpyArray a = fromDoubles(DType::F32, {2, 3}, {1, 2, 3, 4, 5, 6});
  std::string error;
  ASSERT_TRUE(writeNpy(path("h.npy"), a, error)) << error;
  std::string file = readFile(path("h.npy"));
  ASSERT_EQ(file.size(), 128u + 24u);
  EXPECT_EQ(file.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  size_t headerLen = static_cast<uint8_t>(file[8]) |
                     (static_cast<uint8_t>(file[9]) << 8);
  EXPECT_EQ(10 + headerLen, 128u);
  std::string dict =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  EXPECT_EQ(file.substr(10, dict.size()), dict);
  EXPECT_EQ(file[127], '\n');
  EXPECT_EQ(file.find_first_not_of(' ', 10 + dict.size()), 127u);
  // 1.0f little endian.
  EXPECT_EQ(file.substr(128, 4), std::string("\x00\x00\x80\x3f", 4));

  // Every dtype and rank lands on a multiple of 64; 1-d shapes are "(n,)".
  for (DType t : {DType::F16, DType::F64, DType::I32})
    for (std::vector<int64_t> shape :
         {std::vector<int64_t>{}, {5}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}) {
      int64_t n = 1;
      for (int64_t d : shape)
        n *= d;
      NpyArray b = fromDoubles(t, shape, std::vector<double>(n, 1.0));
      ASSERT_TRUE(writeNpy(path("p.npy"), b, error)) << error;
      std::string f = readFile(path("p.npy"));
      size_t len = static_cast<uint8_t>(f[8]) | (static_cast<uint8_t>(f[9]) << 8);
      EXPECT_EQ((10 + len) % 64, 0u);
      EXPECT_EQ(f.size(), 10 + len + b.bytes.size());
      if (shape.size() == 1) {
        EXPECT_NE(f.find("'shape': (5,)"), std::string::npos);
      }
    }
}

// Headers as other writers produce them: version 2.0 and 3.0 (4-byte
// length), double quotes, keys in another order, no trailing comma, '='
// and '|' byte-order characters, trailing bytes after the data.
TEST_F(NpyTest, ReadsOtherVersionsAndHeaderSpellings) {
  std::string data("\x00\x00\x80\x3f\x00\x00\x00\x40", 8); // 1.0f, 2.0f
  struct Case {
    std::string dict;
    int major;
  } cases[] = {
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 2},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 3},
      {"{\"shape\": (1, 2), \"fortran_order\": False, \"descr\": \"<f4\"}", 1},
      {"{'descr': '=f4', 'fortran_order': False, 'shape': (2L,)}", 1},
      {"{'descr': '|f4', 'fortran_order': False, 'shape': (2,)}", 1},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.dict);
    writeFile(path("v.npy"), makeNpy(c.dict, data + "junk", c.major));
    NpyArray a;
    std::string error;
    ASSERT_TRUE(readNpy(path("v.npy"), a, error)) << error;
    EXPECT_EQ(a.dtype, DType::F32);
    EXPECT_EQ(a.numElements(), 2);
    EXPECT_EQ(a.toDoubles(), (std::vector<double>{1.0, 2.0}));
  }
}

TEST_F(NpyTest, Int32IsSignedAndRounded) {
  NpyArray a = fromDoubles(DType::I32, {6}, {-1, 2.5, 3.5, -2.5, 1e12, -7.2});
  // Ties go to even; out-of-range values saturate.
  EXPECT_EQ(a.toDoubles(),
            (std::vector<double>{-1, 2, 4, -2, 2147483647.0, -7}));
  EXPECT_EQ(std::vector<uint8_t>(a.bytes.begin(), a.bytes.begin() + 4),
            (std::vector<uint8_t>{0xFF, 0xFF, 0xFF, 0xFF}));
}

TEST_F(NpyTest, FromDoublesRejectsWrongCount) {
  EXPECT_THROW(fromDoubles(DType::F32, {2, 2}, {1, 2, 3}),
               std::invalid_argument);
}

TEST(NpyNames, DTypeNames) {
  EXPECT_STREQ(dtypeName(DType::F16), "float16");
  EXPECT_STREQ(dtypeName(DType::F32), "float32");
  EXPECT_STREQ(dtypeName(DType::F64), "float64");
  EXPECT_STREQ(dtypeName(DType::I32), "int32");
}

//===----------------------------------------------------------------------===//
// Float16 and float32 rounding
//===----------------------------------------------------------------------===//

TEST(NpyHalf, ExactValues) {
  EXPECT_EQ(half(0.0), 0x0000);
  EXPECT_EQ(half(-0.0), 0x8000);
  EXPECT_EQ(half(1.0), 0x3C00);
  EXPECT_EQ(half(-2.0), 0xC000);
  EXPECT_EQ(half(65504.0), 0x7BFF);              // largest finite
  EXPECT_EQ(half(std::ldexp(1.0, -14)), 0x0400); // smallest normal
  EXPECT_EQ(half(std::ldexp(1.0, -24)), 0x0001); // smallest subnormal
  EXPECT_EQ(half(std::ldexp(1023.0, -24)), 0x03FF); // largest subnormal
}

TEST(NpyHalf, RoundsToNearestEven) {
  const double ulp1 = std::ldexp(1.0, -10); // spacing of halves in [1, 2)
  // Halfway between 1 and 1+ulp: ties to the even mantissa (1.0).
  EXPECT_EQ(half(1.0 + ulp1 / 2), 0x3C00);
  // Halfway between 1+ulp (odd) and 1+2ulp (even): up.
  EXPECT_EQ(half(1.0 + 1.5 * ulp1), 0x3C02);
  // Just above / below the tie.
  EXPECT_EQ(half(1.0 + ulp1 / 2 + std::ldexp(1.0, -40)), 0x3C01);
  EXPECT_EQ(half(1.0 + ulp1 / 2 - std::ldexp(1.0, -40)), 0x3C00);
  // Rounding via float first would round 1 + 2^-11 + 2^-40 to the tie
  // 1 + 2^-11 and then down to 1.0: the conversion must round once.
  EXPECT_EQ(half(1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40)), 0x3C01);
  EXPECT_EQ(half(1.0 / 3.0), 0x3555);
  EXPECT_EQ(half(-1.0 / 3.0), 0xB555);
  // A carry out of the mantissa bumps the exponent: 2 - 2^-12 -> 2.0.
  EXPECT_EQ(half(2.0 - std::ldexp(1.0, -12)), 0x4000);
}

TEST(NpyHalf, SubnormalsAndUnderflow) {
  const double tiny = std::ldexp(1.0, -24); // smallest subnormal
  EXPECT_EQ(half(tiny / 2), 0x0000);        // tie with 0: to even (0)
  EXPECT_EQ(half(tiny / 2 * 1.0000001), 0x0001);
  EXPECT_EQ(half(1.5 * tiny), 0x0002); // tie between 1 and 2: even
  EXPECT_EQ(half(2.5 * tiny), 0x0002); // tie between 2 and 3: even
  EXPECT_EQ(half(1e-10), 0x0000);
  EXPECT_EQ(half(-1e-10), 0x8000);
  EXPECT_EQ(half(std::numeric_limits<double>::denorm_min()), 0x0000);
  // Halfway between the largest subnormal and the smallest normal: even is
  // the normal 0x0400.
  EXPECT_EQ(half(1023.5 * tiny), 0x0400);
}

TEST(NpyHalf, OverflowInfNan) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(half(65519.0), 0x7BFF); // below the tie with 2^16
  EXPECT_EQ(half(65520.0), 0x7C00); // the tie rounds to even: infinity
  EXPECT_EQ(half(1e10), 0x7C00);
  EXPECT_EQ(half(-1e300), 0xFC00);
  EXPECT_EQ(half(inf), 0x7C00);
  EXPECT_EQ(half(-inf), 0xFC00);
  uint16_t n = half(std::nan(""));
  EXPECT_EQ(n & 0x7C00, 0x7C00);
  EXPECT_NE(n & 0x03FF, 0); // NaN stays NaN, not infinity
}

TEST(NpyHalf, DecodesExactly) {
  EXPECT_EQ(fromHalf(0x3C00), 1.0);
  EXPECT_EQ(fromHalf(0xC000), -2.0);
  EXPECT_EQ(fromHalf(0x7BFF), 65504.0);
  EXPECT_EQ(fromHalf(0x3555), 0.333251953125);
  EXPECT_EQ(fromHalf(0x0001), std::ldexp(1.0, -24));
  EXPECT_EQ(fromHalf(0x03FF), std::ldexp(1023.0, -24));
  EXPECT_EQ(fromHalf(0x0400), std::ldexp(1.0, -14));
  EXPECT_TRUE(std::signbit(fromHalf(0x8000)));
  EXPECT_EQ(fromHalf(0x7C00), std::numeric_limits<double>::infinity());
  EXPECT_EQ(fromHalf(0xFC00), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(fromHalf(0x7E00)));
  EXPECT_TRUE(std::isnan(fromHalf(0x7C01)));
  // Every finite half survives half -> double -> half.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7C00) == 0x7C00 && (h & 0x3FF))
      continue; // NaN
    ASSERT_EQ(half(fromHalf(static_cast<uint16_t>(h))), h) << std::hex << h;
  }
}

TEST(NpyFloat32, RoundsToNearestEven) {
  auto f32 = [](double x) {
    NpyArray a = fromDoubles(DType::F32, {1}, {x});
    return static_cast<uint32_t>(a.bytes[0] | (a.bytes[1] << 8) |
                                 (a.bytes[2] << 16) |
                                 (uint32_t(a.bytes[3]) << 24));
  };
  EXPECT_EQ(f32(1.0), 0x3F800000u);
  EXPECT_EQ(f32(1.0 + std::ldexp(1.0, -24)), 0x3F800000u); // tie -> even
  EXPECT_EQ(f32(1.0 + 3 * std::ldexp(1.0, -24)), 0x3F800002u);
  EXPECT_EQ(f32(1e300), 0x7F800000u);
}

//===----------------------------------------------------------------------===//
// Bad files
//===----------------------------------------------------------------------===//

TEST_F(NpyTest, MissingFile) {
  expectReadError(path("missing.npy"), "cannot open");
}

// Reading a directory used to end in an uncaught std::ios_failure from
// libstdc++'s filebuf (attn-run --input=DIR aborted).
TEST_F(NpyTest, DirectoryIsNotAnArray) {
  expectReadError(dir.string(), "is a directory");
}

TEST_F(NpyTest, BadMagic) {
  writeFile(path("bad.npy"), "PK\x03\x04 this is a zip, not an npy file");
  expectReadError(path("bad.npy"), "magic");
  writeFile(path("empty.npy"), "");
  expectReadError(path("empty.npy"), "magic");
}

TEST_F(NpyTest, UnsupportedVersion) {
  std::string f = makeNpy(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }", "");
  f[6] = 4;
  writeFile(path("v4.npy"), f);
  expectReadError(path("v4.npy"), "version 4.0");
}

TEST_F(NpyTest, TruncatedHeaderAndData) {
  std::string good = makeNpy(
      "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }",
      std::string(32, '\0'));
  writeFile(path("ok.npy"), good);
  NpyArray a;
  std::string error;
  EXPECT_TRUE(readNpy(path("ok.npy"), a, error)) << error;

  writeFile(path("hdr.npy"), good.substr(0, 30));
  expectReadError(path("hdr.npy"), "truncated header");
  writeFile(path("len.npy"), good.substr(0, 9));
  expectReadError(path("len.npy"), "truncated header");
  writeFile(path("data.npy"), good.substr(0, good.size() - 1));
  expectReadError(path("data.npy"), "truncated data");
}

TEST_F(NpyTest, FortranOrder) {
  writeFile(path("f.npy"),
            makeNpy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, "
                    "3), }",
                    std::string(24, '\0')));
  expectReadError(path("f.npy"), "Fortran");
}

TEST_F(NpyTest, BigEndian) {
  writeFile(path("be.npy"),
            makeNpy("{'descr': '>f4', 'fortran_order': False, 'shape': (3,), }",
                    std::string(12, '\0')));
  expectReadError(path("be.npy"), "big-endian");
}

TEST_F(NpyTest, UnsupportedDTypesAndMalformedHeaders) {
  struct Case {
    const char *dict;
    const char *what;
  } cases[] = {
      {"{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }",
       "unsupported dtype '<i8'"},
      {"{'descr': '<c8', 'fortran_order': False, 'shape': (3,), }",
       "unsupported dtype"},
      {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (3,), }",
       "structured"},
      {"{'descr': '<f4', 'shape': (3,), }", "lacks"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (-3,), }", "shape"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': [3], }", "shape"},
      {"{'descr': '<f4', 'fortran_order': Maybe, 'shape': (3,), }",
       "fortran_order"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 1}",
       "unexpected key"},
      {"'descr': '<f4'", "not a dict"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.dict);
    writeFile(path("h.npy"), makeNpy(c.dict, std::string(64, '\0')));
    expectReadError(path("h.npy"), c.what);
  }
}

TEST_F(NpyTest, WriteErrors) {
  std::string error;
  NpyArray a = fromDoubles(DType::F32, {2}, {1, 2});
  std::string p = path("no/such/dir/a.npy");
  EXPECT_FALSE(writeNpy(p, a, error));
  EXPECT_NE(error.find(p), std::string::npos) << error;
  // Bytes that do not fill the shape.
  a.bytes.pop_back();
  error.clear();
  EXPECT_FALSE(writeNpy(path("a.npy"), a, error));
  EXPECT_NE(error.find(path("a.npy")), std::string::npos) << error;
  EXPECT_NE(error.find("bytes"), std::string::npos) << error;
}
