//===- CudaError.cpp - The runtime's error reporting ----------------------===//

#include "CudaError.h"

#include <cstring>

namespace {

thread_local std::string lastError;
thread_local int lastCudaResult = 0;

} // namespace

namespace attn::cuda {

AttnCudaStatus failWith(AttnCudaStatus status, std::string message,
                        int cuResult) {
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

std::string sourceTag(const char *file, int line) {
  const char *slash = std::strrchr(file, '/');
  return std::string(" [") + (slash ? slash + 1 : file) + ":" +
         std::to_string(line) + "]";
}

AttnCudaStatus cudaFailure(const std::string &where, CUresult r,
                           const std::string &what, const char *file,
                           int line) {
  return failWith(statusOf(r),
                  where + ": " + what + " failed: " + cuResultText(r) +
                      sourceTag(file, line),
                  int(r));
}

} // namespace attn::cuda

using namespace attn::cuda;

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

} // extern "C"
