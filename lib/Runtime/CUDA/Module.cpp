//===- Module.cpp - Loading the PTX and checking the device ---------------===//
//
// Once per context: JIT-compiles the PTX, checks that the device can run
// every launch (compute capability, shared memory, threads per block,
// parameter sizes) and opts entries into large dynamic shared memory.
//
//===----------------------------------------------------------------------===//

#include "Kernel.h"

#include <cstdio>

namespace attn::cuda {

std::string launchName(const Manifest &m, size_t i) {
  const Launch &l = m.launches[i];
  return "launch " + std::to_string(i) + " of " +
         std::to_string(m.launches.size()) + " (entry \"" + l.entry +
         "\", grid [" + std::to_string(l.grid[0]) + "," +
         std::to_string(l.grid[1]) + "," + std::to_string(l.grid[2]) +
         "], block [" + std::to_string(l.block[0]) + "," +
         std::to_string(l.block[1]) + "," + std::to_string(l.block[2]) +
         "], " + std::to_string(l.sharedBytes) + " B dynamic shared memory)";
}

namespace {

// JIT-compiles the PTX into the current context, with the compiler's log
// in the message when it fails (and on stderr with ATTN_CUDA_DEBUG).
AttnCudaStatus loadModule(AttnCudaKernel *kernel, ContextState &state,
                          const std::string &deviceText) {
  static constexpr size_t kLogSize = 16384;
  std::vector<char> errorLog(kLogSize, 0), infoLog(kLogSize, 0);
  CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER,
                            CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                            CU_JIT_INFO_LOG_BUFFER,
                            CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {errorLog.data(), (void *)(uintptr_t)(kLogSize - 1),
                    infoLog.data(), (void *)(uintptr_t)(kLogSize - 1)};
  CUmodule module = nullptr;
  CUresult r = cuModuleLoadDataEx(&module, kernel->ptx.c_str(), 4, options,
                                  values);
  if (r != CUDA_SUCCESS) {
    std::string log(errorLog.data());
    return failWith(statusOf(r),
                    kernel->manifestPath + ": cuModuleLoadDataEx(" +
                        kernel->manifest.ptxPath + ") on " + deviceText +
                        " failed: " + cuResultText(r) +
                        (log.empty() ? "" : "\nJIT log:\n" + log) +
                        sourceTag(__FILE__, __LINE__),
                    int(r));
  }
  state.module = module;
  if (kernel->debug && infoLog[0])
    std::fprintf(stderr, "%s: PTX JIT on %s: %s\n",
                 kernel->manifestPath.c_str(), deviceText.c_str(),
                 infoLog.data());
  return ATTN_CUDA_SUCCESS;
}

} // namespace

AttnCudaStatus prepare(AttnCudaKernel *kernel, ContextState &state) {
  if (state.prepared)
    return ATTN_CUDA_SUCCESS;
  const Manifest &m = kernel->manifest;
  const std::string &where = kernel->manifestPath;

  CUdevice device;
  ATTN_CU(cuCtxGetDevice(&device), "cuCtxGetDevice");
  state.device = device;
  int major = 0, minor = 0;
  ATTN_CU(cuDeviceGetAttribute(&major,
                               CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                               device),
          "cuDeviceGetAttribute(COMPUTE_CAPABILITY_MAJOR)");
  ATTN_CU(cuDeviceGetAttribute(&minor,
                               CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                               device),
          "cuDeviceGetAttribute(COMPUTE_CAPABILITY_MINOR)");
  char deviceName[256] = {0};
  ATTN_CU(cuDeviceGetName(deviceName, sizeof deviceName - 1, device),
          "cuDeviceGetName");
  int cc = major * 10 + minor;
  int want = m.targetCapability();
  std::string deviceText = std::string("device ") + deviceName + " (sm_" +
                           std::to_string(cc) + ")";
  bool ok;
  if (m.target.back() == 'a')
    ok = cc == want;
  else if (m.target.back() == 'f')
    ok = major == want / 10 && cc >= want;
  else
    ok = cc >= want;
  if (!ok)
    return failWith(ATTN_CUDA_ERROR_UNSUPPORTED_DEVICE,
                    where + ": the kernel targets " + m.target + ", which " +
                        deviceText + " cannot run" +
                        (m.target.back() == 'a'
                             ? " (an 'a' target runs only on that exact "
                               "compute capability)"
                             : ""));

  int maxOptin = 0;
  ATTN_CU(cuDeviceGetAttribute(
              &maxOptin, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN,
              device),
          "cuDeviceGetAttribute(MAX_SHARED_MEMORY_PER_BLOCK_OPTIN)");
  for (size_t i = 0; i < m.launches.size(); ++i)
    if (m.launches[i].sharedBytes > unsigned(maxOptin))
      return failWith(ATTN_CUDA_ERROR_UNSUPPORTED_DEVICE,
                      where + ": " + launchName(m, i) + " needs more shared "
                              "memory than " + deviceText + " has per block (" +
                              std::to_string(maxOptin) + " B)");

  // JIT-compile once per context (also when a check below failed last time).
  if (!state.module)
    if (AttnCudaStatus s = loadModule(kernel, state, deviceText))
      return s;

  state.functions.assign(m.launches.size(), nullptr);
  for (size_t i = 0; i < m.launches.size(); ++i) {
    const Launch &l = m.launches[i];
    CUfunction f;
    ATTN_CU(cuModuleGetFunction(&f, state.module, l.entry.c_str()),
            "cuModuleGetFunction(\"" + l.entry + "\")");
    state.functions[i] = f;
  }
  // Dynamic shared memory beyond the default 48 KiB must be opted into;
  // an entry launched several times gets the largest size it needs.
  for (size_t i = 0; i < m.launches.size(); ++i) {
    const Launch &l = m.launches[i];
    CUfunction f = state.functions[i];
    int staticBytes = 0;
    ATTN_CU(cuFuncGetAttribute(&staticBytes, CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES,
                               f),
            "cuFuncGetAttribute(SHARED_SIZE_BYTES, \"" + l.entry + "\")");
    unsigned dynamicBytes = 0;
    for (size_t j = 0; j < m.launches.size(); ++j)
      if (state.functions[j] == f && m.launches[j].sharedBytes > dynamicBytes)
        dynamicBytes = m.launches[j].sharedBytes;
    if (uint64_t(staticBytes) + dynamicBytes > uint64_t(maxOptin))
      return failWith(ATTN_CUDA_ERROR_UNSUPPORTED_DEVICE,
                      where + ": entry \"" + l.entry + "\" has " +
                          std::to_string(staticBytes) + " B static and " +
                          std::to_string(dynamicBytes) +
                          " B dynamic shared memory, more than " + deviceText +
                          " allows per block (" + std::to_string(maxOptin) +
                          " B)");
    if (uint64_t(staticBytes) + dynamicBytes > 48 * 1024)
      ATTN_CU(cuFuncSetAttribute(f,
                                 CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                                 int(dynamicBytes)),
              "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES = " +
                  std::to_string(dynamicBytes) + ", \"" + l.entry + "\")");
  }
  for (size_t i = 0; i < m.launches.size(); ++i) {
    const Launch &l = m.launches[i];
    CUfunction f = state.functions[i];
    int maxThreads = 0, regs = 0;
    ATTN_CU(cuFuncGetAttribute(&maxThreads,
                               CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, f),
            "cuFuncGetAttribute(MAX_THREADS_PER_BLOCK, \"" + l.entry + "\")");
    ATTN_CU(cuFuncGetAttribute(&regs, CU_FUNC_ATTRIBUTE_NUM_REGS, f),
            "cuFuncGetAttribute(NUM_REGS, \"" + l.entry + "\")");
    unsigned threads = l.block[0] * l.block[1] * l.block[2];
    if (threads > unsigned(maxThreads))
      return failWith(ATTN_CUDA_ERROR_UNSUPPORTED_DEVICE,
                      where + ": " + launchName(m, i) + " has " +
                          std::to_string(threads) + " threads per block, but "
                          "the entry allows at most " +
                          std::to_string(maxThreads) + " on " + deviceText +
                          " (" + std::to_string(regs) + " registers/thread)");
    // Every parameter is one device pointer (8 bytes). Where the driver
    // can describe parameters, check the count and sizes.
    size_t n = l.args.size();
    bool checkable = true;
    for (size_t p = 0; p < n && checkable; ++p) {
      size_t offset = 0, size = 0;
      CUresult pr = cuFuncGetParamInfo(f, p, &offset, &size);
      if (pr == CUDA_ERROR_INVALID_VALUE)
        return failWith(ATTN_CUDA_ERROR_INVALID_PTX,
                        where + ": entry \"" + l.entry + "\" takes " +
                            std::to_string(p) + " parameters but " +
                            launchName(m, i) + " passes " + std::to_string(n));
      if (pr != CUDA_SUCCESS) {
        checkable = false;
        break;
      }
      if (size != sizeof(CUdeviceptr))
        return failWith(ATTN_CUDA_ERROR_INVALID_PTX,
                        where + ": parameter " + std::to_string(p) +
                            " of entry \"" + l.entry + "\" is " +
                            std::to_string(size) +
                            " bytes; every parameter must be one device "
                            "pointer (8 bytes)");
    }
    // More parameters than args: the manifest reader already compared the
    // entry's .param list in the PTX with args (probing index n here would
    // be an API error that compute-sanitizer reports).
  }
  state.prepared = true;
  return ATTN_CUDA_SUCCESS;
}

} // namespace attn::cuda

using namespace attn::cuda;

extern "C" {

AttnCudaStatus attnCudaKernelPrepare(AttnCudaKernel *kernel, void *stream) {
  if (!kernel)
    return failWith(ATTN_CUDA_ERROR_INVALID_ARGUMENT,
                    "attnCudaKernelPrepare: NULL kernel");
  try {
    std::lock_guard<std::mutex> lock(kernel->mutex);
    ContextScope scope;
    if (AttnCudaStatus s = enterContext(kernel, CUstream(stream), scope))
      return s;
    return prepare(kernel, stateFor(kernel, scope));
  } catch (const std::bad_alloc &) {
    return failWith(ATTN_CUDA_ERROR_OUT_OF_MEMORY,
                    kernel->manifestPath + ": out of host memory");
  }
}

} // extern "C"
