//===- Context.cpp - The CUDA context a call runs in ----------------------===//
//
// A launch runs in the context of its stream; for the default stream in the
// current context, or, if none is current, in device 0's primary context
// (the one the CUDA runtime and PyTorch use), retained until the kernel is
// destroyed. Each context gets its own module and scratch (ContextState).
//
//===----------------------------------------------------------------------===//

#include "Kernel.h"

namespace attn::cuda {

namespace {

bool isDefaultStream(CUstream stream) {
  return stream == nullptr || stream == CU_STREAM_LEGACY ||
         stream == CU_STREAM_PER_THREAD;
}

AttnCudaStatus initDriver(AttnCudaKernel *kernel) {
  static std::once_flag once;
  static CUresult result = CUDA_SUCCESS;
  std::call_once(once, [] { result = cuInit(0); });
  if (result != CUDA_SUCCESS)
    return cudaFailure(kernel->manifestPath, result, "cuInit(0)", __FILE__,
                       __LINE__);
  return ATTN_CUDA_SUCCESS;
}

} // namespace

ContextScope::~ContextScope() {
  if (pushed) {
    CUcontext popped;
    cuCtxPopCurrent(&popped);
  }
}

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
      return cudaFailure(kernel->manifestPath, r, "cuCtxSetCurrent", __FILE__,
                         __LINE__);
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

void releaseContexts(AttnCudaKernel *kernel) {
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
}

} // namespace attn::cuda
