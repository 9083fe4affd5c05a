//===- Ptx.h - Static checks of a manifest's PTX ----------------*- C++ -*-===//
//
// Without a GPU: the PTX's .target matches the manifest's, and every entry
// the manifest launches exists with one parameter per argument.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_CUDA_PTX_H
#define ATTN_RUNTIME_CUDA_PTX_H

#include <map>
#include <string>
#include <string_view>

namespace attn::cuda {

struct Manifest;

// What a PTX module declares: its .target and its entries with their
// parameter counts.
struct PtxInfo {
  std::string target;
  std::map<std::string, int> entryParams;
  std::string version; // the .version directive, e.g. "9.0"
};

bool scanPtx(std::string_view ptx, PtxInfo &info, std::string &error);

// Checks that the PTX matches the manifest: same target, every launched
// entry present, one parameter per argument. `source` names the PTX file.
bool checkPtx(const Manifest &manifest, std::string_view ptx,
              const std::string &source, std::string &error);

} // namespace attn::cuda

#endif // ATTN_RUNTIME_CUDA_PTX_H
