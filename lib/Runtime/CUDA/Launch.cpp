//===- Launch.cpp - Launching a kernel's entries --------------------------===//
//
// attnCudaKernelLaunch: checks the caller's buffer pointers, binds the
// runtime's scratch where the caller passed 0, and launches the manifest's
// entries in order on the stream, one device pointer per parameter.
// ATTN_CUDA_DEBUG also checks each pointer against its allocation and
// synchronizes after every launch.
//
//===----------------------------------------------------------------------===//

#include "Kernel.h"

namespace attn::cuda {

namespace {

std::string bufferName(const Buffer &buf, size_t b) {
  return "buffer " + std::to_string(b) + " \"" + buf.name + "\" (" +
         roleName(buf.role) + ")";
}

// What can be checked without CUDA: one pointer per buffer, none null
// (scratch may be 0), all 16-byte aligned.
AttnCudaStatus checkArguments(const AttnCudaKernel *kernel,
                              const uint64_t *buffers, int numBuffers) {
  const Manifest &m = kernel->manifest;
  const std::string &where = kernel->manifestPath;
  if (numBuffers != int(m.buffers.size()))
    return failWith(ATTN_CUDA_ERROR_INVALID_ARGUMENT,
                    where + ": kernel \"" + m.name + "\" has " +
                        std::to_string(m.buffers.size()) + " buffers, got " +
                        std::to_string(numBuffers) + " pointers");
  if (!buffers)
    return failWith(ATTN_CUDA_ERROR_INVALID_ARGUMENT,
                    where + ": the buffer pointer array is NULL");
  for (size_t b = 0; b < m.buffers.size(); ++b) {
    const auto &buf = m.buffers[b];
    if (buffers[b] == 0 && buf.role != Role::Scratch && buf.sizeBytes != 0)
      return failWith(ATTN_CUDA_ERROR_INVALID_ARGUMENT,
                      where + ": " + bufferName(buf, b) + " is a null pointer");
    if (buffers[b] % 16 != 0)
      return failWith(ATTN_CUDA_ERROR_INVALID_ARGUMENT,
                      where + ": buffer " + std::to_string(b) + " \"" +
                          buf.name + "\" is not 16-byte aligned");
  }
  return ATTN_CUDA_SUCCESS;
}

// The pointers to launch with: the caller's, and for scratch passed as 0
// the context's own, allocated on first use.
AttnCudaStatus bindScratch(AttnCudaKernel *kernel, ContextState &state,
                           const uint64_t *buffers,
                           std::vector<CUdeviceptr> &ptrs) {
  const Manifest &m = kernel->manifest;
  ptrs.resize(m.buffers.size());
  for (size_t b = 0; b < m.buffers.size(); ++b) {
    const auto &buf = m.buffers[b];
    ptrs[b] = CUdeviceptr(buffers[b]);
    if (ptrs[b] == 0 && buf.role == Role::Scratch) {
      if (!state.scratch[b])
        ATTN_CU(cuMemAlloc(&state.scratch[b],
                           buf.sizeBytes ? size_t(buf.sizeBytes) : 1),
                "cuMemAlloc(" + std::to_string(buf.sizeBytes) +
                    " B) for scratch buffer \"" + buf.name + "\"");
      ptrs[b] = state.scratch[b];
    }
  }
  return ATTN_CUDA_SUCCESS;
}

// ATTN_CUDA_DEBUG: each pointer lies in an allocation of this context's
// device that holds the whole buffer.
AttnCudaStatus checkAllocations(AttnCudaKernel *kernel,
                                const std::vector<CUdeviceptr> &ptrs) {
  const Manifest &m = kernel->manifest;
  const std::string &where = kernel->manifestPath;
  int ordinal = -1;
  CUdevice device;
  ATTN_CU(cuCtxGetDevice(&device), "cuCtxGetDevice");
  for (size_t b = 0; b < m.buffers.size(); ++b) {
    const auto &buf = m.buffers[b];
    if (buf.sizeBytes == 0)
      continue;
    std::string what = bufferName(buf, b);
    CUresult r = cuPointerGetAttribute(
        &ordinal, CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL, ptrs[b]);
    if (r != CUDA_SUCCESS)
      return cudaFailure(where, r,
                         "cuPointerGetAttribute(DEVICE_ORDINAL) of " + what +
                             " (is it device memory?)",
                         __FILE__, __LINE__);
    if (ordinal != int(device))
      return failWith(ATTN_CUDA_ERROR_INVALID_ARGUMENT,
                      where + ": " + what + " is memory of device " +
                          std::to_string(ordinal) +
                          ", but the launch runs on device " +
                          std::to_string(int(device)));
    CUdeviceptr base = 0;
    size_t size = 0;
    r = cuMemGetAddressRange(&base, &size, ptrs[b]);
    if (r == CUDA_SUCCESS && ptrs[b] + buf.sizeBytes > base + size)
      return failWith(ATTN_CUDA_ERROR_INVALID_ARGUMENT,
                      where + ": " + what + " needs " +
                          std::to_string(buf.sizeBytes) +
                          " bytes, but its allocation ends " +
                          std::to_string(base + size - ptrs[b]) +
                          " bytes after the pointer");
  }
  return ATTN_CUDA_SUCCESS;
}

// Each entry's parameters are pointers to the device pointers of its args.
AttnCudaStatus launchAll(AttnCudaKernel *kernel, const ContextState &state,
                         std::vector<CUdeviceptr> &ptrs, CUstream stream) {
  const Manifest &m = kernel->manifest;
  std::vector<void *> params;
  for (size_t i = 0; i < m.launches.size(); ++i) {
    const Launch &l = m.launches[i];
    params.clear();
    for (int a : l.args)
      params.push_back(&ptrs[size_t(a)]);
    ATTN_CU(cuLaunchKernel(state.functions[i], l.grid[0], l.grid[1], l.grid[2],
                           l.block[0], l.block[1], l.block[2], l.sharedBytes,
                           stream, params.empty() ? nullptr : params.data(),
                           nullptr),
            "cuLaunchKernel for " + launchName(m, i));
    if (kernel->debug)
      ATTN_CU(cuStreamSynchronize(stream),
              "running " + launchName(m, i) +
                  " (ATTN_CUDA_DEBUG synchronizes after each launch)");
  }
  return ATTN_CUDA_SUCCESS;
}

} // namespace

} // namespace attn::cuda

using namespace attn::cuda;

extern "C" {

AttnCudaStatus attnCudaKernelLaunch(AttnCudaKernel *kernel,
                                    const uint64_t *buffers, int numBuffers,
                                    void *streamArg) {
  if (!kernel)
    return failWith(ATTN_CUDA_ERROR_INVALID_ARGUMENT,
                    "attnCudaKernelLaunch: NULL kernel");
  if (AttnCudaStatus s = checkArguments(kernel, buffers, numBuffers))
    return s;
  try {
    std::lock_guard<std::mutex> lock(kernel->mutex);
    CUstream stream = CUstream(streamArg);
    ContextScope scope;
    if (AttnCudaStatus s = enterContext(kernel, stream, scope))
      return s;
    ContextState &state = stateFor(kernel, scope);
    if (AttnCudaStatus s = prepare(kernel, state))
      return s;
    std::vector<CUdeviceptr> ptrs;
    if (AttnCudaStatus s = bindScratch(kernel, state, buffers, ptrs))
      return s;
    if (kernel->debug)
      if (AttnCudaStatus s = checkAllocations(kernel, ptrs))
        return s;
    return launchAll(kernel, state, ptrs, stream);
  } catch (const std::bad_alloc &) {
    return failWith(ATTN_CUDA_ERROR_OUT_OF_MEMORY,
                    kernel->manifestPath + ": out of host memory");
  }
}

} // extern "C"
