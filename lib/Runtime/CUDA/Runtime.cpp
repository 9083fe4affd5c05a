//===- Runtime.cpp - The attn CUDA runtime: C ABI over the driver API -----===//
//
// Loads attn-gpu-kernel/1 manifests (Manifest.cpp) and launches their PTX
// entries with the CUDA driver API. Every driver call is checked; failures
// become an AttnCudaStatus and a thread-local message. See
// include/attn-cuda/AttnCuda.h for the contract.
//
//===----------------------------------------------------------------------===//

#include "attn-cuda/AttnCuda.h"

#include "Manifest.h"

#include <cuda.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

using attn::cuda::DType;
using attn::cuda::Launch;
using attn::cuda::Manifest;
using attn::cuda::Role;

namespace {

thread_local std::string lastError;
thread_local int lastCudaResult = 0;

AttnCudaStatus failWith(AttnCudaStatus status, std::string message,
                        int cuResult = 0) {
  lastError = std::move(message);
  lastCudaResult = cuResult;
  return status;
}

const char *fallbackErrorName(CUresult r) {
  switch (r) {
  case CUDA_ERROR_INVALID_VALUE:
    return "CUDA_ERROR_INVALID_VALUE";
  case CUDA_ERROR_OUT_OF_MEMORY:
    return "CUDA_ERROR_OUT_OF_MEMORY";
  case CUDA_ERROR_NOT_INITIALIZED:
    return "CUDA_ERROR_NOT_INITIALIZED";
  case CUDA_ERROR_DEINITIALIZED:
    return "CUDA_ERROR_DEINITIALIZED";
  case CUDA_ERROR_STUB_LIBRARY:
    return "CUDA_ERROR_STUB_LIBRARY";
  case CUDA_ERROR_NO_DEVICE:
    return "CUDA_ERROR_NO_DEVICE";
  case CUDA_ERROR_INVALID_DEVICE:
    return "CUDA_ERROR_INVALID_DEVICE";
  case CUDA_ERROR_INVALID_CONTEXT:
    return "CUDA_ERROR_INVALID_CONTEXT";
  case CUDA_ERROR_INVALID_PTX:
    return "CUDA_ERROR_INVALID_PTX";
  case CUDA_ERROR_UNSUPPORTED_PTX_VERSION:
    return "CUDA_ERROR_UNSUPPORTED_PTX_VERSION";
  case CUDA_ERROR_NOT_FOUND:
    return "CUDA_ERROR_NOT_FOUND";
  case CUDA_ERROR_ILLEGAL_ADDRESS:
    return "CUDA_ERROR_ILLEGAL_ADDRESS";
  case CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES:
    return "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES";
  case CUDA_ERROR_LAUNCH_FAILED:
    return "CUDA_ERROR_LAUNCH_FAILED";
  case CUDA_ERROR_INVALID_HANDLE:
    return "CUDA_ERROR_INVALID_HANDLE";
  case CUDA_ERROR_NOT_SUPPORTED:
    return "CUDA_ERROR_NOT_SUPPORTED";
  default:
    return nullptr;
  }
}

std::string cuResultText(CUresult r) {
  const char *name = nullptr, *desc = nullptr;
  if (cuGetErrorName(r, &name) != CUDA_SUCCESS || !name)
    name = fallbackErrorName(r);
  if (cuGetErrorString(r, &desc) != CUDA_SUCCESS)
    desc = nullptr;
  std::string text = name ? name : "CUresult " + std::to_string(int(r));
  if (desc && *desc)
    text += std::string(" (") + desc + ")";
  return text;
}

AttnCudaStatus statusOf(CUresult r) {
  return r == CUDA_ERROR_OUT_OF_MEMORY ? ATTN_CUDA_ERROR_OUT_OF_MEMORY
                                       : ATTN_CUDA_ERROR_CUDA;
}

// "<manifest>: <call> failed: CUDA_ERROR_X (description) [Runtime.cpp:N]"
AttnCudaStatus cudaFailure(const std::string &where, CUresult r,
                           const std::string &what, int line) {
  return failWith(statusOf(r),
                  where + ": " + what + " failed: " + cuResultText(r) +
                      " [Runtime.cpp:" + std::to_string(line) + "]",
                  int(r));
}

#define ATTN_CU(call, what)                                                    \
  do {                                                                         \
    CUresult attnCuResult = (call);                                            \
    if (attnCuResult != CUDA_SUCCESS)                                          \
      return cudaFailure(kernel->manifestPath, attnCuResult, (what),           \
                         __LINE__);                                            \
  } while (0)

bool isDefaultStream(CUstream stream) {
  return stream == nullptr || stream == CU_STREAM_LEGACY ||
         stream == CU_STREAM_PER_THREAD;
}

// The module and scratch of one kernel in one context.
struct ContextState {
  CUcontext context = nullptr;
  CUdevice device = 0;
  bool retainedPrimary = false;
  bool prepared = false;
  CUmodule module = nullptr;
  std::vector<CUfunction> functions;  // one per launch
  std::vector<CUdeviceptr> scratch;   // per buffer; 0 if none allocated
};

} // namespace

struct AttnCudaKernel {
  Manifest manifest;
  std::string ptx;
  std::string manifestPath;
  std::string attributesJson;
  bool debug = false;
  std::mutex mutex;
  std::vector<std::unique_ptr<ContextState>> contexts;
};

namespace {

AttnCudaStatus initDriver(AttnCudaKernel *kernel) {
  static std::once_flag once;
  static CUresult result = CUDA_SUCCESS;
  std::call_once(once, [] { result = cuInit(0); });
  if (result != CUDA_SUCCESS)
    return cudaFailure(kernel->manifestPath, result, "cuInit(0)", __LINE__);
  return ATTN_CUDA_SUCCESS;
}

// Makes the context that a launch on `stream` runs in current for the
// scope of the guard (pushing it if another one is current).
struct ContextScope {
  CUcontext context = nullptr;
  bool pushed = false;
  bool retainedPrimary = false;
  CUdevice primaryDevice = 0;
  ~ContextScope() {
    if (pushed) {
      CUcontext popped;
      cuCtxPopCurrent(&popped);
    }
  }
};

AttnCudaStatus enterContext(AttnCudaKernel *kernel, CUstream stream,
                            ContextScope &scope) {
  if (AttnCudaStatus s = initDriver(kernel))
    return s;
  CUcontext current = nullptr;
  ATTN_CU(cuCtxGetCurrent(&current), "cuCtxGetCurrent");
  if (!isDefaultStream(stream)) {
    ATTN_CU(cuStreamGetCtx(stream, &scope.context),
            "cuStreamGetCtx (is the stream valid?)");
  } else if (current) {
    scope.context = current;
  } else {
    // No context: the primary context of device 0, as the CUDA runtime
    // (and so PyTorch) would use.
    ATTN_CU(cuDeviceGet(&scope.primaryDevice, 0), "cuDeviceGet(0)");
    ATTN_CU(cuDevicePrimaryCtxRetain(&scope.context, scope.primaryDevice),
            "cuDevicePrimaryCtxRetain(device 0)");
    scope.retainedPrimary = true;
    CUresult r = cuCtxSetCurrent(scope.context);
    if (r != CUDA_SUCCESS) {
      cuDevicePrimaryCtxRelease(scope.primaryDevice);
      return cudaFailure(kernel->manifestPath, r, "cuCtxSetCurrent", __LINE__);
    }
    current = scope.context;
  }
  if (scope.context != current) {
    ATTN_CU(cuCtxPushCurrent(scope.context), "cuCtxPushCurrent");
    scope.pushed = true;
  }
  return ATTN_CUDA_SUCCESS;
}

// The state of `scope.context`, created on first use. Takes over the
// primary-context reference the scope retained (or drops a duplicate).
ContextState &stateFor(AttnCudaKernel *kernel, ContextScope &scope) {
  for (auto &state : kernel->contexts) {
    if (state->context == scope.context) {
      if (scope.retainedPrimary) {
        if (state->retainedPrimary) {
          cuDevicePrimaryCtxRelease(scope.primaryDevice);
        } else {
          state->retainedPrimary = true;
          state->device = scope.primaryDevice;
        }
        scope.retainedPrimary = false;
      }
      return *state;
    }
  }
  auto state = std::make_unique<ContextState>();
  state->context = scope.context;
  state->retainedPrimary = scope.retainedPrimary;
  state->device = scope.primaryDevice;
  state->scratch.assign(kernel->manifest.buffers.size(), 0);
  scope.retainedPrimary = false;
  kernel->contexts.push_back(std::move(state));
  return *kernel->contexts.back();
}

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
                        " [Runtime.cpp:" + std::to_string(__LINE__) + "]",
                    int(r));
  }
  state.module = module;
  if (kernel->debug && infoLog[0])
    std::fprintf(stderr, "%s: PTX JIT on %s: %s\n",
                 kernel->manifestPath.c_str(), deviceText.c_str(),
                 infoLog.data());
  return ATTN_CUDA_SUCCESS;
}

// Loads the module into the current context (state.context) and checks
// the device against every launch.
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

const char *roleText(Role r) { return attn::cuda::roleName(r); }

} // namespace

extern "C" {

const char *attnCudaGetLastError(void) { return lastError.c_str(); }

int attnCudaGetLastCudaResult(void) { return lastCudaResult; }

const char *attnCudaResultName(int cuResult) {
  const char *name = nullptr;
  if (cuGetErrorName(CUresult(cuResult), &name) == CUDA_SUCCESS && name)
    return name;
  if ((name = fallbackErrorName(CUresult(cuResult))))
    return name;
  thread_local std::string unknown;
  unknown = "CUresult " + std::to_string(cuResult);
  return unknown.c_str();
}

const char *attnCudaStatusName(AttnCudaStatus status) {
  switch (status) {
  case ATTN_CUDA_SUCCESS:
    return "ATTN_CUDA_SUCCESS";
  case ATTN_CUDA_ERROR_INVALID_ARGUMENT:
    return "ATTN_CUDA_ERROR_INVALID_ARGUMENT";
  case ATTN_CUDA_ERROR_IO:
    return "ATTN_CUDA_ERROR_IO";
  case ATTN_CUDA_ERROR_INVALID_MANIFEST:
    return "ATTN_CUDA_ERROR_INVALID_MANIFEST";
  case ATTN_CUDA_ERROR_INVALID_PTX:
    return "ATTN_CUDA_ERROR_INVALID_PTX";
  case ATTN_CUDA_ERROR_UNSUPPORTED_DEVICE:
    return "ATTN_CUDA_ERROR_UNSUPPORTED_DEVICE";
  case ATTN_CUDA_ERROR_CUDA:
    return "ATTN_CUDA_ERROR_CUDA";
  case ATTN_CUDA_ERROR_OUT_OF_MEMORY:
    return "ATTN_CUDA_ERROR_OUT_OF_MEMORY";
  }
  return "ATTN_CUDA_ERROR_UNKNOWN";
}

const char *attnCudaDTypeName(AttnCudaDType dtype) {
  if (dtype < ATTN_CUDA_DTYPE_BF16 || dtype > ATTN_CUDA_DTYPE_I32)
    return "?";
  return attn::cuda::dtypeName(DType(int(dtype)));
}

const char *attnCudaRoleName(AttnCudaRole role) {
  if (role < ATTN_CUDA_ROLE_INPUT || role > ATTN_CUDA_ROLE_SCRATCH)
    return "?";
  return attn::cuda::roleName(Role(int(role)));
}

AttnCudaStatus attnCudaKernelLoad(const char *manifestPath,
                                  AttnCudaKernel **out) {
  if (!out)
    return failWith(ATTN_CUDA_ERROR_INVALID_ARGUMENT,
                    "attnCudaKernelLoad: the output pointer is NULL");
  *out = nullptr;
  if (!manifestPath || !*manifestPath)
    return failWith(ATTN_CUDA_ERROR_INVALID_ARGUMENT,
                    "attnCudaKernelLoad: no manifest path");
  try {
    auto kernel = std::make_unique<AttnCudaKernel>();
    kernel->manifestPath = manifestPath;
    std::string error;
    switch (attn::cuda::loadManifestFile(kernel->manifestPath,
                                         kernel->manifest, kernel->ptx,
                                         error)) {
    case attn::cuda::LoadResult::Ok:
      break;
    case attn::cuda::LoadResult::IOError:
      return failWith(ATTN_CUDA_ERROR_IO, error);
    case attn::cuda::LoadResult::InvalidManifest:
      return failWith(ATTN_CUDA_ERROR_INVALID_MANIFEST, error);
    case attn::cuda::LoadResult::InvalidPtx:
      return failWith(ATTN_CUDA_ERROR_INVALID_PTX, error);
    }
    const Manifest &m = kernel->manifest;
    kernel->attributesJson = m.attributes.dump();
    const char *debug = std::getenv("ATTN_CUDA_DEBUG");
    kernel->debug = debug && *debug && std::strcmp(debug, "0") != 0;
    *out = kernel.release();
    return ATTN_CUDA_SUCCESS;
  } catch (const std::bad_alloc &) {
    return failWith(ATTN_CUDA_ERROR_OUT_OF_MEMORY,
                    std::string(manifestPath) + ": out of host memory");
  } catch (const std::exception &e) {
    return failWith(ATTN_CUDA_ERROR_INVALID_MANIFEST,
                    std::string(manifestPath) + ": " + e.what());
  }
}

void attnCudaKernelDestroy(AttnCudaKernel *kernel) {
  if (!kernel)
    return;
  for (auto &state : kernel->contexts) {
    // Errors are ignored here: at process exit the driver may already be
    // shutting down, and a context the caller destroyed took its module
    // and memory with it.
    if (cuCtxPushCurrent(state->context) == CUDA_SUCCESS) {
      for (CUdeviceptr p : state->scratch)
        if (p)
          cuMemFree(p);
      if (state->module)
        cuModuleUnload(state->module);
      CUcontext popped;
      cuCtxPopCurrent(&popped);
    }
    if (state->retainedPrimary)
      cuDevicePrimaryCtxRelease(state->device);
  }
  delete kernel;
}

const char *attnCudaKernelName(const AttnCudaKernel *k) {
  return k ? k->manifest.name.c_str() : "";
}
const char *attnCudaKernelOp(const AttnCudaKernel *k) {
  return k ? k->manifest.op.c_str() : "";
}
const char *attnCudaKernelTarget(const AttnCudaKernel *k) {
  return k ? k->manifest.target.c_str() : "";
}
const char *attnCudaKernelManifestPath(const AttnCudaKernel *k) {
  return k ? k->manifestPath.c_str() : "";
}
const char *attnCudaKernelPtxPath(const AttnCudaKernel *k) {
  return k ? k->manifest.ptxPath.c_str() : "";
}
const char *attnCudaKernelAttributesJson(const AttnCudaKernel *k) {
  return k ? k->attributesJson.c_str() : "{}";
}

int attnCudaKernelAttributeNumber(const AttnCudaKernel *k, const char *key,
                                  double *value) {
  if (!k || !key)
    return 0;
  const auto &attrs = k->manifest.attributes;
  auto v = attrs.find(key);
  if (v == attrs.end() || !(v->is_number() || v->is_boolean()))
    return 0;
  if (value)
    *value = v->is_boolean() ? (v->get<bool>() ? 1.0 : 0.0) : v->get<double>();
  return 1;
}

const char *attnCudaKernelAttributeString(const AttnCudaKernel *k,
                                          const char *key) {
  if (!k || !key)
    return nullptr;
  const auto &attrs = k->manifest.attributes;
  auto v = attrs.find(key);
  return v != attrs.end() && v->is_string()
             ? v->get_ref<const std::string &>().c_str()
             : nullptr;
}

int attnCudaKernelNumBuffers(const AttnCudaKernel *k) {
  return k ? int(k->manifest.buffers.size()) : 0;
}

AttnCudaStatus attnCudaKernelBuffer(const AttnCudaKernel *k, int index,
                                    AttnCudaBufferInfo *info) {
  if (!k || !info)
    return failWith(ATTN_CUDA_ERROR_INVALID_ARGUMENT,
                    "attnCudaKernelBuffer: NULL kernel or info");
  if (index < 0 || size_t(index) >= k->manifest.buffers.size())
    return failWith(ATTN_CUDA_ERROR_INVALID_ARGUMENT,
                    k->manifestPath + ": buffer index " +
                        std::to_string(index) + " out of range [0, " +
                        std::to_string(k->manifest.buffers.size()) + ")");
  const auto &b = k->manifest.buffers[size_t(index)];
  info->name = b.name.c_str();
  info->role = AttnCudaRole(int(b.role));
  info->dtype = AttnCudaDType(int(b.dtype));
  info->rank = int(b.shape.size());
  info->shape = b.shape.data();
  info->num_elements = b.numElements;
  info->size_bytes = b.sizeBytes;
  return ATTN_CUDA_SUCCESS;
}

int attnCudaKernelFindBuffer(const AttnCudaKernel *k, const char *name) {
  return k && name ? k->manifest.findBuffer(name) : -1;
}

int attnCudaKernelNumLaunches(const AttnCudaKernel *k) {
  return k ? int(k->manifest.launches.size()) : 0;
}

AttnCudaStatus attnCudaKernelLaunchInfo(const AttnCudaKernel *k, int index,
                                        AttnCudaLaunchInfo *info) {
  if (!k || !info)
    return failWith(ATTN_CUDA_ERROR_INVALID_ARGUMENT,
                    "attnCudaKernelLaunchInfo: NULL kernel or info");
  if (index < 0 || size_t(index) >= k->manifest.launches.size())
    return failWith(ATTN_CUDA_ERROR_INVALID_ARGUMENT,
                    k->manifestPath + ": launch index " +
                        std::to_string(index) + " out of range [0, " +
                        std::to_string(k->manifest.launches.size()) + ")");
  const Launch &l = k->manifest.launches[size_t(index)];
  info->entry = l.entry.c_str();
  for (int d = 0; d < 3; ++d) {
    info->grid[d] = l.grid[d];
    info->block[d] = l.block[d];
  }
  info->shared_bytes = l.sharedBytes;
  info->num_args = int(l.args.size());
  info->args = l.args.data();
  return ATTN_CUDA_SUCCESS;
}

uint64_t attnCudaKernelScratchBytes(const AttnCudaKernel *k) {
  uint64_t total = 0;
  if (k)
    for (const auto &b : k->manifest.buffers)
      if (b.role == Role::Scratch)
        total += b.sizeBytes;
  return total;
}

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

AttnCudaStatus attnCudaKernelLaunch(AttnCudaKernel *kernel,
                                    const uint64_t *buffers, int numBuffers,
                                    void *streamArg) {
  if (!kernel)
    return failWith(ATTN_CUDA_ERROR_INVALID_ARGUMENT,
                    "attnCudaKernelLaunch: NULL kernel");
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
                      where + ": buffer " + std::to_string(b) + " \"" +
                          buf.name + "\" (" + roleText(buf.role) +
                          ") is a null pointer");
    if (buffers[b] % 16 != 0)
      return failWith(ATTN_CUDA_ERROR_INVALID_ARGUMENT,
                      where + ": buffer " + std::to_string(b) + " \"" +
                          buf.name + "\" is not 16-byte aligned");
  }
  try {
    std::lock_guard<std::mutex> lock(kernel->mutex);
    CUstream stream = CUstream(streamArg);
    ContextScope scope;
    if (AttnCudaStatus s = enterContext(kernel, stream, scope))
      return s;
    ContextState &state = stateFor(kernel, scope);
    if (AttnCudaStatus s = prepare(kernel, state))
      return s;

    std::vector<CUdeviceptr> ptrs(m.buffers.size());
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

    if (kernel->debug) {
      // Each pointer lies in an allocation of this context's device that
      // holds the whole buffer.
      int ordinal = -1;
      CUdevice device;
      ATTN_CU(cuCtxGetDevice(&device), "cuCtxGetDevice");
      for (size_t b = 0; b < m.buffers.size(); ++b) {
        const auto &buf = m.buffers[b];
        if (buf.sizeBytes == 0)
          continue;
        std::string what = "buffer " + std::to_string(b) + " \"" + buf.name +
                           "\" (" + roleText(buf.role) + ")";
        CUresult r = cuPointerGetAttribute(
            &ordinal, CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL, ptrs[b]);
        if (r != CUDA_SUCCESS)
          return cudaFailure(where, r,
                             "cuPointerGetAttribute(DEVICE_ORDINAL) of " +
                                 what + " (is it device memory?)",
                             __LINE__);
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
    }

    std::vector<void *> params;
    for (size_t i = 0; i < m.launches.size(); ++i) {
      const Launch &l = m.launches[i];
      params.clear();
      for (int a : l.args)
        params.push_back(&ptrs[size_t(a)]);
      ATTN_CU(cuLaunchKernel(state.functions[i], l.grid[0], l.grid[1],
                             l.grid[2], l.block[0], l.block[1], l.block[2],
                             l.sharedBytes, stream,
                             params.empty() ? nullptr : params.data(), nullptr),
              "cuLaunchKernel for " + launchName(m, i));
      if (kernel->debug)
        ATTN_CU(cuStreamSynchronize(stream),
                "running " + launchName(m, i) +
                    " (ATTN_CUDA_DEBUG synchronizes after each launch)");
    }
    return ATTN_CUDA_SUCCESS;
  } catch (const std::bad_alloc &) {
    return failWith(ATTN_CUDA_ERROR_OUT_OF_MEMORY,
                    where + ": out of host memory");
  }
}

} // extern "C"
