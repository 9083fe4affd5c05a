//===- attn-cuda/AttnCuda.hpp - C++ wrapper of the C ABI ----------*- C++ -*-===//
//
// RAII over include/attn-cuda/AttnCuda.h: a move-only Kernel that destroys
// itself, and attn::cuda::Error (a std::runtime_error carrying the status and
// the CUresult) instead of status codes.
//
//   attn::cuda::Kernel kernel("gla.json");
//   std::vector<uint64_t> ptrs(kernel.numBuffers());   // fill by buffer()
//   kernel.launch(ptrs, stream);
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_CUDA_ATTNCUDA_HPP
#define ATTN_CUDA_ATTNCUDA_HPP

#include "attn-cuda/AttnCuda.h"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace attn::cuda {

class Error : public std::runtime_error {
public:
  Error(AttnCudaStatus status, int cudaResult, const std::string &message)
      : std::runtime_error(message), status_(status), cudaResult_(cudaResult) {}
  AttnCudaStatus status() const { return status_; }
  // The CUresult of a failed CUDA call, else 0.
  int cudaResult() const { return cudaResult_; }

private:
  AttnCudaStatus status_;
  int cudaResult_;
};

inline void check(AttnCudaStatus status) {
  if (status != ATTN_CUDA_SUCCESS)
    throw Error(status, attnCudaGetLastCudaResult(), attnCudaGetLastError());
}

struct BufferInfo {
  std::string name;
  AttnCudaRole role;
  AttnCudaDType dtype;
  std::vector<int64_t> shape;
  uint64_t numElements;
  uint64_t sizeBytes;
};

struct LaunchInfo {
  std::string entry;
  unsigned grid[3];
  unsigned block[3];
  unsigned sharedBytes;
  std::vector<int> args;
};

class Kernel {
public:
  explicit Kernel(const std::string &manifestPath) {
    check(attnCudaKernelLoad(manifestPath.c_str(), &kernel_));
  }
  ~Kernel() { attnCudaKernelDestroy(kernel_); }
  Kernel(Kernel &&other) noexcept : kernel_(std::exchange(other.kernel_, nullptr)) {}
  Kernel &operator=(Kernel &&other) noexcept {
    if (this != &other) {
      attnCudaKernelDestroy(kernel_);
      kernel_ = std::exchange(other.kernel_, nullptr);
    }
    return *this;
  }
  Kernel(const Kernel &) = delete;
  Kernel &operator=(const Kernel &) = delete;

  std::string name() const { return attnCudaKernelName(kernel_); }
  std::string op() const { return attnCudaKernelOp(kernel_); }
  std::string target() const { return attnCudaKernelTarget(kernel_); }
  std::string manifestPath() const { return attnCudaKernelManifestPath(kernel_); }
  std::string ptxPath() const { return attnCudaKernelPtxPath(kernel_); }
  std::string attributesJson() const { return attnCudaKernelAttributesJson(kernel_); }
  bool attributeNumber(const std::string &key, double &value) const {
    return attnCudaKernelAttributeNumber(kernel_, key.c_str(), &value) != 0;
  }
  // The string attribute `key`, or `fallback` when absent.
  std::string attributeString(const std::string &key,
                              const std::string &fallback = "") const {
    const char *s = attnCudaKernelAttributeString(kernel_, key.c_str());
    return s ? s : fallback;
  }

  int numBuffers() const { return attnCudaKernelNumBuffers(kernel_); }
  BufferInfo buffer(int index) const {
    AttnCudaBufferInfo info;
    check(attnCudaKernelBuffer(kernel_, index, &info));
    return {info.name,
            info.role,
            info.dtype,
            std::vector<int64_t>(info.shape, info.shape + info.rank),
            info.num_elements,
            info.size_bytes};
  }
  std::vector<BufferInfo> buffers() const {
    std::vector<BufferInfo> all;
    for (int i = 0; i < numBuffers(); ++i)
      all.push_back(buffer(i));
    return all;
  }
  int findBuffer(const std::string &name) const {
    return attnCudaKernelFindBuffer(kernel_, name.c_str());
  }
  int numLaunches() const { return attnCudaKernelNumLaunches(kernel_); }
  LaunchInfo launchInfo(int index) const {
    AttnCudaLaunchInfo info;
    check(attnCudaKernelLaunchInfo(kernel_, index, &info));
    LaunchInfo out{info.entry, {}, {}, info.shared_bytes,
                   std::vector<int>(info.args, info.args + info.num_args)};
    for (int d = 0; d < 3; ++d) {
      out.grid[d] = info.grid[d];
      out.block[d] = info.block[d];
    }
    return out;
  }
  uint64_t scratchBytes() const { return attnCudaKernelScratchBytes(kernel_); }

  // `stream` is a CUstream (or cudaStream_t); nullptr is the default stream.
  void prepare(void *stream = nullptr) {
    check(attnCudaKernelPrepare(kernel_, stream));
  }
  void launch(const std::vector<uint64_t> &buffers, void *stream = nullptr) {
    check(attnCudaKernelLaunch(kernel_, buffers.data(), int(buffers.size()),
                               stream));
  }

  AttnCudaKernel *get() const { return kernel_; }

private:
  AttnCudaKernel *kernel_ = nullptr;
};

} // namespace attn::cuda

#endif // ATTN_CUDA_ATTNCUDA_HPP
