//===- CudaManifestTest.cpp - The CUDA runtime's manifest reader ----------===//
//
// No GPU and no CUDA: strict JSON (nlohmann_json, plus value locations and
// duplicate keys), the attn-gpu-kernel/1 checks (each malformed manifest gets
// a located, specific message), and the static PTX checks, on strings and on
// the fake kernels of test/GPU/Inputs.
//
//===----------------------------------------------------------------------===//

#include "Manifest.h"
#include "Ptx.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

using namespace attn::cuda;

namespace {

// A valid gated linear attention manifest; the tests below break it one
// way at a time.
const char *const kBase = R"({
  "format": "attn-gpu-kernel/1",
  "name": "gla",
  "op": "gated_linear_attention",
  "target": "sm_90a",
  "ptx": "gla.ptx",
  "attributes": {"scale": 0.0883883, "causal": true, "window": 0,
                 "feature_map": "identity", "normalize": false,
                 "gate": "scalar", "chunk_size": 64, "extra": [1, 2]},
  "buffers": [
    {"name": "q", "role": "input", "dtype": "bf16", "shape": [4, 8192, 16, 128]},
    {"name": "k", "role": "input", "dtype": "bf16", "shape": [4, 8192, 16, 128]},
    {"name": "v", "role": "input", "dtype": "bf16", "shape": [4, 8192, 16, 128]},
    {"name": "g", "role": "input", "dtype": "f32", "shape": [4, 8192, 16]},
    {"name": "initial_state", "role": "input", "dtype": "f32", "shape": [4, 16, 128, 128]},
    {"name": "o", "role": "output", "dtype": "bf16", "shape": [4, 8192, 16, 128]},
    {"name": "final_state", "role": "output", "dtype": "f32", "shape": [4, 16, 128, 128]},
    {"name": "ws0", "role": "scratch", "dtype": "f32", "shape": [4, 16, 128, 128, 128]}
  ],
  "launches": [
    {"entry": "gla_kernel0", "grid": [2, 64, 1], "block": [128, 1, 1],
     "shared_bytes": 131072, "args": [1, 2, 3, 4, 7]},
    {"entry": "gla_kernel1", "grid": [128, 64, 1], "block": [256, 1, 1],
     "args": [0, 1, 2, 3, 7, 5, 6]}
  ]
})";

std::string replaced(std::string text, const std::string &from,
                     const std::string &to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "the base manifest has no: " << from;
  if (at != std::string::npos)
    text.replace(at, from.size(), to);
  return text;
}

std::string manifestError(const std::string &text) {
  Manifest m;
  std::string error;
  EXPECT_FALSE(parseManifest(text, "test.json", "/kernels/", m, error))
      << "accepted:\n" << text;
  return error;
}

TEST(CudaManifest, ParsesTheContract) {
  Manifest m;
  std::string error;
  ASSERT_TRUE(parseManifest(kBase, "test.json", "/kernels/", m, error))
      << error;
  EXPECT_EQ(m.format, "attn-gpu-kernel/1");
  EXPECT_EQ(m.name, "gla");
  EXPECT_EQ(m.op, "gated_linear_attention");
  EXPECT_EQ(m.target, "sm_90a");
  EXPECT_EQ(m.targetCapability(), 90);
  EXPECT_TRUE(m.targetIsArchSpecific());
  EXPECT_EQ(m.ptx, "gla.ptx");
  EXPECT_EQ(m.ptxPath, "/kernels/gla.ptx");
  ASSERT_EQ(m.buffers.size(), 8u);
  const Buffer &q = m.buffers[0];
  EXPECT_EQ(q.name, "q");
  EXPECT_EQ(q.role, Role::Input);
  EXPECT_EQ(q.dtype, DType::BF16);
  EXPECT_EQ(q.shape, (std::vector<int64_t>{4, 8192, 16, 128}));
  EXPECT_EQ(q.numElements, 4ull * 8192 * 16 * 128);
  EXPECT_EQ(q.sizeBytes, 2 * q.numElements);
  EXPECT_EQ(m.buffers[3].sizeBytes, 4ull * 4 * 8192 * 16);
  EXPECT_EQ(m.buffers[5].role, Role::Output);
  EXPECT_EQ(m.buffers[7].role, Role::Scratch);
  EXPECT_EQ(m.findBuffer("final_state"), 6);
  EXPECT_EQ(m.findBuffer("nope"), -1);
  ASSERT_EQ(m.launches.size(), 2u);
  const Launch &l = m.launches[0];
  EXPECT_EQ(l.entry, "gla_kernel0");
  EXPECT_EQ(l.grid[0], 2u);
  EXPECT_EQ(l.grid[1], 64u);
  EXPECT_EQ(l.block[0], 128u);
  EXPECT_EQ(l.sharedBytes, 131072u);
  EXPECT_EQ(l.args, (std::vector<int>{1, 2, 3, 4, 7}));
  EXPECT_EQ(m.launches[1].sharedBytes, 0u); // optional, default 0
  EXPECT_EQ(m.attributes.at("gate"), "scalar");
  EXPECT_EQ(m.attributes.at("extra").dump(), "[1,2]");

  // Attributes are optional; an absolute PTX path is kept.
  std::string noAttrs = replaced(
      replaced(kBase, R"("ptx": "gla.ptx")", R"("ptx": "/abs/gla.ptx")"),
      R"("gate": "scalar", )", "");
  ASSERT_TRUE(parseManifest(noAttrs, "t.json", "/kernels/", m, error))
      << error;
  EXPECT_EQ(m.ptxPath, "/abs/gla.ptx");

  // Targets.
  for (const char *t : {"sm_80", "sm_90", "sm_100a", "sm_100f", "sm_120"}) {
    std::string text =
        replaced(kBase, R"("target": "sm_90a")",
                 std::string("\"target\": \"") + t + "\"");
    ASSERT_TRUE(parseManifest(text, "t.json", "", m, error)) << error;
  }
  EXPECT_EQ(m.targetCapability(), 120);
  EXPECT_FALSE(m.targetIsArchSpecific());
}

TEST(CudaManifest, RejectsMalformed) {
  struct Case {
    std::string text;
    const char *message;
  } cases[] = {
      {"[]", "test.json:1:1: a manifest is a JSON object, got array"},
      {"{\"format\": 1}", "test.json:1:12: \"format\" must be a string"},
      {"{}", "test.json:1:1: the manifest has no \"format\""},
      {"{\"a\": }", "test.json:1:7: unexpected '}'"},
      {replaced(kBase, "attn-gpu-kernel/1", "attn-gpu-kernel/2"),
       "test.json:2:13: unsupported format \"attn-gpu-kernel/2\" (this "
       "runtime reads \"attn-gpu-kernel/1\")"},
      {replaced(kBase, "\"name\": \"gla\",", "\"name\": \"gla\", \"cubin\": 1,"),
       "test.json:3:27: unknown key \"cubin\" in the manifest"},
      {replaced(kBase, "\"name\": \"gla\",", ""),
       "the manifest has no \"name\""},
      {replaced(kBase, "\"name\": \"gla\"", "\"name\": \"\""),
       "test.json:3:11: \"name\" must not be empty"},
      {replaced(kBase, "\"op\": \"gated_linear_attention\"", "\"op\": \"mamba\""),
       "test.json:4:9: unknown op \"mamba\""},
      {replaced(kBase, "\"sm_90a\"", "\"compute_90\""),
       "\"target\" must look like sm_80 or sm_90a, got \"compute_90\""},
      {replaced(kBase, "\"sm_90a\"", "\"sm_9\""), "must look like sm_80"},
      {replaced(kBase, "\"sm_90a\"", "\"sm_90ab\""), "must look like sm_80"},
      {replaced(kBase, "\"ptx\": \"gla.ptx\"", "\"ptx\": [\"gla.ptx\"]"),
       "test.json:6:10: \"ptx\" must be a string, got array"},
      {replaced(kBase, "\"scale\": 0.0883883", "\"scale\": -1"),
       "test.json:7:27: attribute \"scale\" must be a finite number > 0"},
      {replaced(kBase, "\"scale\": 0.0883883", "\"scale\": \"0.1\""),
       "attribute \"scale\" must be a finite number > 0"},
      {replaced(kBase, "\"causal\": true", "\"causal\": 1"),
       "attribute \"causal\" must be true or false"},
      {replaced(kBase, "\"window\": 0", "\"window\": -1"),
       "attribute \"window\" must be in [0, "},
      {replaced(kBase, "\"window\": 0", "\"window\": 1.5"),
       "attribute \"window\" must be an integer, got 1.5"},
      {replaced(kBase, "\"feature_map\": \"identity\"", "\"feature_map\": \"gelu\""),
       "attribute \"feature_map\" must be \"identity\""},
      {replaced(kBase, "\"gate\": \"scalar\"", "\"gate\": \"both\""),
       "attribute \"gate\" must be \"none\", \"scalar\" or \"vector\""},
      {replaced(kBase, "\"attributes\": {", "\"attributes\": [{") /* broken */,
       "test.json:10:12: unexpected ':'; expected ']'"},
      {replaced(kBase, "\"gate\": \"scalar\"", "\"gate\": \"vector\""),
       "a vector gate has rank 4, but buffer \"g\" has rank 3"},
      {replaced(kBase, "\"gate\": \"scalar\"", "\"gate\": \"none\""),
       "attribute \"gate\" is \"none\" but there is a buffer \"g\""},
      {replaced(kBase, "{\"name\": \"g\"", "{\"name\": \"gg\""),
       "gated_linear_attention needs input buffer \"g\" (the gate)"},
      {replaced(kBase, "\"name\": \"q\", \"role\": \"input\"",
                "\"name\": \"q\", \"role\": \"output\""),
       "buffer \"q\" of gated_linear_attention must have role \"input\", not "
       "\"output\""},
      {replaced(kBase, "\"name\": \"v\",", "\"name\": \"vv\","),
       "needs input buffer \"v\""},
      {replaced(kBase, "\"op\": \"gated_linear_attention\"", "\"op\": \"delta_rule\""),
       "delta_rule needs input buffer \"beta\""},
      {replaced(kBase, "\"role\": \"scratch\"", "\"role\": \"inout\""),
       "test.json:18:29: buffers[7] (\"ws0\").role must be \"input\", "
       "\"output\" or \"scratch\", got \"inout\""},
      {replaced(kBase, "\"dtype\": \"f32\", \"shape\": [4, 8192, 16]",
                "\"dtype\": \"fp32\", \"shape\": [4, 8192, 16]"),
       "buffers[3] (\"g\").dtype must be one of bf16, f16, f32, i32, got "
       "\"fp32\""},
      {replaced(kBase, "[4, 8192, 16]}", "[4, -8192, 16]}"),
       "buffers[3] (\"g\").shape[1] must be in [0, "},
      {replaced(kBase, "[4, 8192, 16]}", "[4, 8192.0, 16]}"),
       "buffers[3] (\"g\").shape[1] must be an integer, got 8192.0"},
      {replaced(kBase, "[4, 8192, 16]}", "\"4x8192x16\"}"),
       "buffers[3] (\"g\").shape must be an array of integers, got string"},
      {replaced(kBase, "[4, 8192, 16]}", "[1, 1, 1, 1, 1, 1, 1, 1, 1]}"),
       "has rank 9: at most 8 dimensions"},
      {replaced(kBase, "[4, 16, 128, 128, 128]}",
                "[1099511627776, 1099511627776, 1]}"),
       "buffers[7] (\"ws0\").shape has more than 2^62 elements"},
      {replaced(kBase, "[4, 16, 128, 128, 128]}",
                "[1099511627776, 2097152]}"),
       "buffers[7] (\"ws0\") is larger than 2^62 bytes"},
      {replaced(kBase, "\"name\": \"ws0\", \"role\"",
                "\"name\": \"ws0\", \"layout\": \"bthd\", \"role\""),
       "unknown key \"layout\" in buffers[7] (expected name, role, dtype, "
       "shape)"},
      {replaced(kBase, ", \"shape\": [4, 16, 128, 128, 128]", ""),
       "buffers[7] (\"ws0\") has no \"shape\""},
      {replaced(kBase, "\"name\": \"ws0\"", "\"name\": \"q\""),
       "test.json:18:5: two buffers are named \"q\""},
      {replaced(kBase, "{\"name\": \"ws0\"", "3, {\"name\": \"ws0\""),
       "test.json:18:5: buffers[7] must be an object, got number"},
      {R"({"format": "attn-gpu-kernel/1", "name": "x", "op": "delta_rule",
           "target": "sm_80", "ptx": "x.ptx", "buffers": [], "launches": []})",
       "\"buffers\" must be a non-empty array"},
      {replaced(kBase, "\"grid\": [2, 64, 1]", "\"grid\": [2, 64]"),
       "launches[0] (\"gla_kernel0\").grid must be an array of 3 positive "
       "integers"},
      {replaced(kBase, "\"grid\": [2, 64, 1]", "\"grid\": [2, 0, 1]"),
       "launches[0] (\"gla_kernel0\").grid[1] must be in [1, 65535], got 0"},
      {replaced(kBase, "\"grid\": [2, 64, 1]", "\"grid\": [2, 65536, 1]"),
       "grid[1] must be in [1, 65535], got 65536"},
      {replaced(kBase, "\"block\": [128, 1, 1]", "\"block\": [128, 16, 1]"),
       "launches[0] (\"gla_kernel0\").block has 2048 threads: at most 1024"},
      {replaced(kBase, "\"block\": [128, 1, 1]", "\"block\": [1, 1, 65]"),
       "block[2] must be in [1, 64], got 65"},
      {replaced(kBase, "\"shared_bytes\": 131072", "\"shared_bytes\": -1"),
       "launches[0] (\"gla_kernel0\").shared_bytes must be in [0, 1048576]"},
      {replaced(kBase, "\"shared_bytes\": 131072", "\"shard_bytes\": 131072"),
       "unknown key \"shard_bytes\" in launches[0] (expected entry, grid, "
       "block, shared_bytes, args, what)"},
      {replaced(kBase, "\"shared_bytes\": 131072",
                "\"shared_bytes\": 131072, \"what\": 3"),
       "launches[0] (\"gla_kernel0\").what must be a string"},
      {replaced(kBase, "\"args\": [1, 2, 3, 4, 7]", "\"args\": [1, 2, 3, 4, 8]"),
       "launches[0] (\"gla_kernel0\").args[4] must be a buffer index in [0, "
       "8), got 8"},
      {replaced(kBase, "\"args\": [1, 2, 3, 4, 7]", "\"args\": [1, 2, \"v\"]"),
       "args[2] must be a buffer index in [0, 8), got string"},
      {replaced(kBase, "\"args\": [1, 2, 3, 4, 7]", "\"args\": {}"),
       "args must be an array of buffer indices"},
      {replaced(kBase, "\"entry\": \"gla_kernel1\"", "\"entry\": 1"),
       "launches[1].entry must be a string, got number"},
      {replaced(kBase, "\"args\": [0, 1, 2, 3, 7, 5, 6]",
                "\"args\": [0, 1, 2, 3, 7, 5]"),
       "test.json:17:5: output \"final_state\" is an argument of no launch"},
      {replaced(kBase, "\"launches\": [", "\"launches\": [], \"x\": ["),
       "unknown key \"x\" in the manifest"},
  };
  for (const auto &c : cases) {
    std::string error = manifestError(c.text);
    EXPECT_NE(error.find(c.message), std::string::npos)
        << "error:    " << error << "\nexpected: " << c.message;
    EXPECT_EQ(error.rfind("test.json:", 0), 0u) << error;
  }
}

// The JSON underneath: strict, and located even where nlohmann's DOM keeps
// no positions (after numbers, keys, nesting, a byte-order mark).
TEST(CudaManifest, StrictJson) {
  std::string deep = std::string(64, '[') + std::string(64, ']');
  std::string deeper = std::string(65, '[') + std::string(65, ']');
  struct Case {
    std::string text;
    const char *message;
  } cases[] = {
      {"", "test.json:1:1: "}, // the wording differs across versions
      {"{\"a\": 1,}", "test.json:1:9: trailing comma in object"},
      {"[1, 2 ,\n ]", "test.json:2:2: trailing comma in array"},
      {"{\"a\": 1 // c\n}", "test.json:1:9: invalid literal"},
      {"{'a': 1}", "test.json:1:2: invalid literal"},
      {"[NaN]", "test.json:1:2: invalid literal"},
      {"[01]", "test.json:1:3: unexpected number literal"},
      {"[1e999]", "number overflow parsing '1e999'"},
      {"\"\\ud800\"", "surrogate U+D800..U+DBFF must be followed by"},
      {"\"\xed\xa0\x80\"", "test.json:1:3: invalid string: ill-formed UTF-8"},
      {"{\"a\": 1, \"a\": 2}", "test.json:1:10: duplicate key \"a\""},
      {"{\"a\":\n  {\"b\": [1], \"b\": 2}}",
       "test.json:2:14: duplicate key \"b\""},
      {"{} {}", "test.json:1:4: unexpected '{'; expected end of input"},
      {deep, "test.json:1:1: a manifest is a JSON object, got array"},
      {deeper, "test.json:1:65: nesting deeper than 64 levels"},
      {"\xef\xbb\xbf{\"format\": 1}",
       "test.json:1:15: \"format\" must be a string, got number"},
      {replaced(kBase, "\"name\": \"gla\"", "\"name\": \"g\\u0000\""),
       "test.json:3:11: \"name\" must not contain a NUL character"},
      {replaced(kBase, "[4, 8192, 16]}", "[4, 8192,\n 16.5]}"),
       "test.json:15:2: buffers[3] (\"g\").shape[2] must be an integer, got "
       "16.5"},
      {replaced(kBase, "[4, 8192, 16]}", "[4, 8192, 9223372036854775808]}"),
       "test.json:14:71: buffers[3] (\"g\").shape[2] must be in [0, "
       "1099511627776], got 9223372036854775808"},
  };
  for (const auto &c : cases) {
    std::string error = manifestError(c.text);
    EXPECT_NE(error.find(c.message), std::string::npos)
        << "error:    " << error << "\nexpected: " << c.message;
  }
}

TEST(CudaManifest, EveryOpNeedsItsBuffers) {
  std::string softmax = replaced(
      replaced(kBase, "\"op\": \"gated_linear_attention\"",
               "\"op\": \"softmax_attention\""),
      "\"gate\": \"scalar\", ", "");
  Manifest m;
  std::string error;
  EXPECT_TRUE(parseManifest(softmax, "t.json", "", m, error)) << error;
  std::string delta = replaced(
      replaced(softmax, "\"op\": \"softmax_attention\"", "\"op\": \"delta_rule\""),
      "{\"name\": \"g\"", "{\"name\": \"beta\"");
  EXPECT_TRUE(parseManifest(delta, "t.json", "", m, error)) << error;
  // The gated delta rule: beta and g.
  std::string gated = replaced(
      delta, "{\"name\": \"initial_state\"",
      "{\"name\": \"g\", \"role\": \"input\", \"dtype\": \"f32\", "
      "\"shape\": [4, 8192, 16]},\n    {\"name\": \"initial_state\"");
  EXPECT_TRUE(parseManifest(gated, "t.json", "", m, error)) << error;
}

// The fake kernels that test/GPU runs on a GPU.
std::string inputPath(const std::string &name) {
  return std::string(ATTN_CUDA_TEST_INPUTS) + "/" + name;
}

TEST(CudaManifest, LoadsTheFakeKernels) {
  Manifest m;
  std::string ptx, error;
  ASSERT_EQ(loadManifestFile(inputPath("fake_softmax.json"), m, ptx, error),
            LoadResult::Ok)
      << error;
  EXPECT_EQ(m.op, "softmax_attention");
  EXPECT_EQ(m.ptxPath, inputPath("fake_kernels_sm90a.ptx"));
  EXPECT_EQ(m.launches[1].sharedBytes, 65536u);
  EXPECT_EQ(m.buffers[4].role, Role::Scratch);
  EXPECT_NE(ptx.find(".entry fake_ws_to_o"), std::string::npos);

  ASSERT_EQ(loadManifestFile(inputPath("fake_linear.json"), m, ptx, error),
            LoadResult::Ok)
      << error;
  EXPECT_EQ(m.target, "sm_80");
  EXPECT_FALSE(m.targetIsArchSpecific());
  EXPECT_EQ(m.buffers.size(), 6u);
}

TEST(CudaPtx, ScansEntries) {
  std::string ptx, error;
  ASSERT_TRUE(readFile(inputPath("fake_kernels_sm90a.ptx"), ptx, error))
      << error;
  PtxInfo info;
  ASSERT_TRUE(scanPtx(ptx, info, error)) << error;
  EXPECT_EQ(info.target, "sm_90a");
  EXPECT_EQ(info.version, "9.0");
  EXPECT_EQ(info.entryParams.size(), 3u);
  EXPECT_EQ(info.entryParams["fake_v_to_ws"], 2);
  EXPECT_EQ(info.entryParams["fake_ws_to_o"], 2);
  EXPECT_EQ(info.entryParams["fake_linear_t1"], 6);

  // Comments hide directives; entries without parameters have 0.
  const char *text = ".version 8.0\n.target sm_80 // .target sm_90a\n"
                     "/* .entry hidden( .param .u64 a ) */\n"
                     ".visible .entry empty\n{\n ret;\n}\n"
                     ".entry two( .param .u64 a, // .param .u64 c\n"
                     " .param .align 8 .b8 b[8] )\n{ ret; }\n";
  ASSERT_TRUE(scanPtx(text, info, error)) << error;
  EXPECT_EQ(info.target, "sm_80");
  EXPECT_EQ(info.entryParams.count("hidden"), 0u);
  EXPECT_EQ(info.entryParams["empty"], 0);
  EXPECT_EQ(info.entryParams["two"], 2);

  EXPECT_FALSE(scanPtx("hello", info, error));
  EXPECT_NE(error.find("no .target directive"), std::string::npos);
}

TEST(CudaPtx, ChecksAgainstTheManifest) {
  Manifest m;
  std::string ptx, error;
  ASSERT_EQ(loadManifestFile(inputPath("fake_softmax.json"), m, ptx, error),
            LoadResult::Ok);
  EXPECT_TRUE(checkPtx(m, ptx, "k.ptx", error)) << error;

  Manifest other = m;
  other.target = "sm_80";
  EXPECT_FALSE(checkPtx(other, ptx, "k.ptx", error));
  EXPECT_EQ(error, "k.ptx: the PTX targets sm_90a but the manifest says "
                   "\"target\": \"sm_80\"");

  other = m;
  other.launches[0].entry = "missing";
  EXPECT_FALSE(checkPtx(other, ptx, "k.ptx", error));
  EXPECT_EQ(error, "k.ptx: launches[0] names entry \"missing\", which the PTX "
                   "does not define (its entries: fake_linear_t1, "
                   "fake_v_to_ws, fake_ws_to_o)");

  other = m;
  other.launches[1].args.push_back(0);
  EXPECT_FALSE(checkPtx(other, ptx, "k.ptx", error));
  EXPECT_EQ(error, "k.ptx: entry \"fake_ws_to_o\" takes 2 parameters but "
                   "launches[1] passes 3 buffers");
}

std::string writeTemp(const std::string &name, const std::string &text) {
  std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(CudaManifest, FileErrors) {
  Manifest m;
  std::string ptx, error;
  EXPECT_EQ(loadManifestFile("/nonexistent/k.json", m, ptx, error),
            LoadResult::IOError);
  EXPECT_EQ(error, "/nonexistent/k.json: cannot open: No such file or "
                   "directory");

  std::string base = replaced(kBase, "\"ptx\": \"gla.ptx\"",
                              "\"ptx\": \"attn_missing.ptx\"");
  std::string path = writeTemp("attn_missing.json", base);
  EXPECT_EQ(loadManifestFile(path, m, ptx, error), LoadResult::IOError);
  EXPECT_NE(error.find("the PTX file it names: "), std::string::npos) << error;
  EXPECT_NE(error.find("attn_missing.ptx: cannot open"), std::string::npos)
      << error;

  base = replaced(kBase, "\"ptx\": \"gla.ptx\"", "\"ptx\": \"attn_empty.ptx\"");
  path = writeTemp("attn_empty.json", base);
  writeTemp("attn_empty.ptx", "");
  EXPECT_EQ(loadManifestFile(path, m, ptx, error), LoadResult::InvalidPtx);
  EXPECT_NE(error.find("empty PTX file"), std::string::npos) << error;

  base = replaced(kBase, "\"ptx\": \"gla.ptx\"", "\"ptx\": \"attn_bin.ptx\"");
  path = writeTemp("attn_bin.json", base);
  writeTemp("attn_bin.ptx", std::string("\x7f" "ELF\0\0", 6));
  EXPECT_EQ(loadManifestFile(path, m, ptx, error), LoadResult::InvalidPtx);
  EXPECT_NE(error.find("contains a NUL byte"), std::string::npos) << error;

  path = writeTemp("attn_bad.json", "{\"format\": \"attn-gpu-kernel/1\",}");
  EXPECT_EQ(loadManifestFile(path, m, ptx, error),
            LoadResult::InvalidManifest);
  EXPECT_NE(error.find("attn_bad.json:1:32: trailing comma in object"),
            std::string::npos)
      << error;
}

} // namespace
