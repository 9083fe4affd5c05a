//===- Kernel.h - The runtime's kernel object -------------------*- C++ -*-===//
//
// AttnCudaKernel (opaque in include/attn-cuda/AttnCuda.h): a checked
// manifest with its PTX, and per CUDA context the loaded module and the
// runtime's scratch. The files of the runtime:
//   Runtime.cpp  loading, destroying and querying a kernel (C ABI)
//   Context.cpp  which context a call runs in; the per-context state
//   Module.cpp   JIT-loading the PTX and checking the device (prepare)
//   Launch.cpp   checking the buffer pointers and launching the entries
//   CudaError.*  error state and CUresult names
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_CUDA_KERNEL_H
#define ATTN_RUNTIME_CUDA_KERNEL_H

#include "CudaError.h"
#include "Manifest.h"

#include <cuda.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace attn::cuda {

// The module and scratch of one kernel in one context.
struct ContextState {
  CUcontext context = nullptr;
  CUdevice device = 0;
  bool retainedPrimary = false;
  bool prepared = false;
  CUmodule module = nullptr;
  std::vector<CUfunction> functions; // one per launch
  std::vector<CUdeviceptr> scratch;  // per buffer; 0 if none allocated
};

} // namespace attn::cuda

struct AttnCudaKernel {
  attn::cuda::Manifest manifest;
  std::string ptx;
  std::string manifestPath;
  std::string attributesJson;
  bool debug = false;
  std::mutex mutex; // guards contexts
  std::vector<std::unique_ptr<attn::cuda::ContextState>> contexts;
};

namespace attn::cuda {

// Makes the context that a launch on a stream runs in current for the
// scope of the guard (pushing it if another one is current).
struct ContextScope {
  CUcontext context = nullptr;
  bool pushed = false;
  bool retainedPrimary = false;
  CUdevice primaryDevice = 0;
  ~ContextScope();
};

// Context.cpp. Enters the context of `stream`: its own, else the current
// one, else device 0's primary context.
AttnCudaStatus enterContext(AttnCudaKernel *kernel, CUstream stream,
                            ContextScope &scope);
// The kernel's state in `scope.context`, created on first use.
ContextState &stateFor(AttnCudaKernel *kernel, ContextScope &scope);
// Frees every context's module and scratch (errors ignored).
void releaseContexts(AttnCudaKernel *kernel);

// Module.cpp. Loads the module into the current context (state.context)
// and checks the device against every launch; once per context.
AttnCudaStatus prepare(AttnCudaKernel *kernel, ContextState &state);
// "launch I of N (entry "e", grid [...], block [...], B B dynamic shared
// memory)", for messages.
std::string launchName(const Manifest &m, size_t i);

} // namespace attn::cuda

#endif // ATTN_RUNTIME_CUDA_KERNEL_H
