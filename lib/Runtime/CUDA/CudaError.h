//===- CudaError.h - The runtime's error reporting --------------*- C++ -*-===//
//
// Every failure becomes an AttnCudaStatus and a thread-local message
// (attnCudaGetLastError); driver failures also keep their CUresult.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_CUDA_CUDAERROR_H
#define ATTN_RUNTIME_CUDA_CUDAERROR_H

#include "attn-cuda/AttnCuda.h"

#include <cuda.h>

#include <string>

namespace attn::cuda {

// Records `message` (and `cuResult`) as the thread's last error.
AttnCudaStatus failWith(AttnCudaStatus status, std::string message,
                        int cuResult = 0);

// The name of the common CUresults, for drivers (the stub) that give none.
const char *fallbackErrorName(CUresult r);

// "CUDA_ERROR_X (description)".
std::string cuResultText(CUresult r);

AttnCudaStatus statusOf(CUresult r);

// " [File.cpp:N]": where in the runtime a failure was reported.
std::string sourceTag(const char *file, int line);

// "<where>: <what> failed: CUDA_ERROR_X (description) [File.cpp:N]"
AttnCudaStatus cudaFailure(const std::string &where, CUresult r,
                           const std::string &what, const char *file, int line);

} // namespace attn::cuda

// Checks a driver call made for `kernel` (an AttnCudaKernel * in scope) and
// returns the failure from the enclosing function.
#define ATTN_CU(call, what)                                                    \
  do {                                                                         \
    CUresult attnCuResult = (call);                                            \
    if (attnCuResult != CUDA_SUCCESS)                                          \
      return ::attn::cuda::cudaFailure(kernel->manifestPath, attnCuResult,     \
                                       (what), __FILE__, __LINE__);            \
  } while (0)

#endif // ATTN_RUNTIME_CUDA_CUDAERROR_H
