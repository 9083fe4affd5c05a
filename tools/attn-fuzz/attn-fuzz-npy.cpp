//===- attn-fuzz-npy.cpp - libFuzzer target for the .npy reader ------------===//
//
// attn-run reads its --input files with attn::npy::parseNpy. Each input is
// the bytes of a .npy file: it must be read or rejected with a message, never
// crash. What is read must also survive the conversion attn-run applies
// (toDoubles) and a write-read round trip.
//
//   build-fuzz/bin/attn-fuzz-npy -max_total_time=60 build-fuzz/fuzz-corpus-npy
//
//===----------------------------------------------------------------------===//
#include "attn/Support/Npy.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

using namespace attn::npy;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string bytes(reinterpret_cast<const char *>(data), size);
  NpyArray a;
  std::string error;
  if (!parseNpy(bytes, "input", a, error)) {
    if (error.empty()) {
      std::fprintf(stderr, "attn-fuzz-npy: rejected without a message\n");
      std::abort();
    }
    return 0;
  }
  // Bound the work per input: a valid header may describe a large array only
  // if the data is there, so this is at most the input size.
  std::vector<double> values = a.toDoubles();
  if (static_cast<int64_t>(values.size()) != a.numElements())
    std::abort();
  // The writer must accept what the reader produced, and read it back equal.
  static std::string path = [] {
    std::string p = "/tmp/attn-fuzz-npy-" + std::to_string(getpid()) + ".npy";
    return p;
  }();
  if (!writeNpy(path, a, error)) {
    std::fprintf(stderr, "attn-fuzz-npy: cannot write back: %s\n",
                 error.c_str());
    std::abort();
  }
  NpyArray b;
  if (!readNpy(path, b, error) || b.dtype != a.dtype || b.shape != a.shape ||
      b.bytes != a.bytes) {
    std::fprintf(stderr, "attn-fuzz-npy: round trip differs: %s\n",
                 error.c_str());
    std::abort();
  }
  return 0;
}
