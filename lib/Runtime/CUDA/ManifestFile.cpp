//===- ManifestFile.cpp - Reading a manifest and its PTX from disk --------===//

#include "Manifest.h"
#include "Ptx.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace attn::cuda {

bool readFile(const std::string &path, std::string &out, std::string &error,
              size_t maxBytes) {
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) {
    error = path + ": cannot open: " + std::strerror(errno);
    return false;
  }
  out.clear();
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    if (out.size() + n > maxBytes) {
      std::fclose(f);
      error = path + ": larger than " + std::to_string(maxBytes) + " bytes";
      return false;
    }
    out.append(buf, n);
  }
  bool bad = std::ferror(f);
  int err = errno;
  std::fclose(f);
  if (bad) {
    error = path + ": read error: " + std::strerror(err);
    return false;
  }
  return true;
}

LoadResult loadManifestFile(const std::string &path, Manifest &m,
                            std::string &ptx, std::string &error) {
  std::string text;
  if (!readFile(path, text, error, size_t(16) << 20))
    return LoadResult::IOError;
  std::string dir;
  size_t slash = path.rfind('/');
  if (slash != std::string::npos)
    dir = path.substr(0, slash + 1);
  if (!parseManifest(text, path, dir, m, error))
    return LoadResult::InvalidManifest;
  if (!readFile(m.ptxPath, ptx, error)) {
    error = path + ": the PTX file it names: " + error;
    return LoadResult::IOError;
  }
  if (ptx.empty()) {
    error = m.ptxPath + ": empty PTX file";
    return LoadResult::InvalidPtx;
  }
  if (ptx.find('\0') != std::string::npos) {
    error = m.ptxPath + ": contains a NUL byte: PTX is text (a cubin or "
                        "fatbin is not supported here)";
    return LoadResult::InvalidPtx;
  }
  if (!checkPtx(m, ptx, m.ptxPath, error))
    return LoadResult::InvalidPtx;
  return LoadResult::Ok;
}

} // namespace attn::cuda
