//===- Manifest.h - attn-gpu-kernel/1 launch manifests ----------*- C++ -*-===//
//
// The manifest the GPU backend writes beside each PTX file (docs/gpu-runtime.md
// has the format): what buffers a kernel takes and how to launch its entries.
// Reading and checking it needs no CUDA, so the parser is plain C++ (over
// nlohmann_json) that the unit tests run on machines without a GPU.
// loadManifestFile also checks the PTX statically (Ptx.h).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_CUDA_MANIFEST_H
#define ATTN_RUNTIME_CUDA_MANIFEST_H

#include "JsonReader.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attn::cuda {

enum class Role { Input, Output, Scratch };
enum class DType { BF16, F16, F32, I32 };

const char *roleName(Role role);
const char *dtypeName(DType dtype);
size_t dtypeSize(DType dtype);

struct Buffer {
  std::string name;
  Role role = Role::Input;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t numElements = 0;
  uint64_t sizeBytes = 0;
};

struct Launch {
  std::string entry;
  unsigned grid[3] = {1, 1, 1};
  unsigned block[3] = {1, 1, 1};
  unsigned sharedBytes = 0;
  std::vector<int> args; // indices into Manifest::buffers
};

struct Manifest {
  std::string format; // "attn-gpu-kernel/1"
  std::string name;   // the MLIR function
  std::string op;     // softmax_attention, linear_attention, ...
  std::string target; // sm_90a, sm_80, ...
  std::string ptx;    // as written in the manifest
  std::string ptxPath; // resolved against the manifest's folder
  Json attributes = Json::object(); // empty when absent
  std::vector<Buffer> buffers;
  std::vector<Launch> launches;

  // Index of the buffer named `name`, or -1.
  int findBuffer(std::string_view name) const;
  // The compute capability the target needs (90 for sm_90a), and whether it
  // is architecture-specific ("a" suffix: runs on exactly that capability).
  int targetCapability() const;
  bool targetIsArchSpecific() const;
};

inline constexpr const char *kManifestFormat = "attn-gpu-kernel/1";

// Parses and checks manifest text. `source` names it in messages and
// `baseDir` is the folder that a relative "ptx" path is resolved against.
// On failure returns false and sets `error` to "SOURCE:LINE:COLUMN: message"
// (or "SOURCE: message").
bool parseManifest(std::string_view text, const std::string &source,
                   const std::string &baseDir, Manifest &out,
                   std::string &error);

// What went wrong in loadManifestFile.
enum class LoadResult { Ok, IOError, InvalidManifest, InvalidPtx };

// Reads the manifest at `path` and the PTX it names, and checks both. The
// PTX text is returned in `ptx` (NUL-terminated by std::string, as
// cuModuleLoadData wants).
LoadResult loadManifestFile(const std::string &path, Manifest &out,
                            std::string &ptx, std::string &error);

// Reads a whole file (at most `maxBytes`).
bool readFile(const std::string &path, std::string &out, std::string &error,
              size_t maxBytes = size_t(1) << 30);

} // namespace attn::cuda

#endif // ATTN_RUNTIME_CUDA_MANIFEST_H
