/* Calls an attn GPU kernel from C through the CUDA runtime's C ABI
 * (include/attn-cuda/AttnCuda.h, docs/gpu-runtime.md).
 *
 *   call_gpu_kernel MANIFEST.json
 *
 * Allocates every buffer but the scratch ones (the runtime allocates those),
 * fills the inputs with small values, launches on a stream, and prints the
 * first elements and the NaN count of the first output.
 */
#include "attn-cuda/AttnCuda.h"

#include <cuda.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cuCheck(CUresult r, const char *what) {
  if (r == CUDA_SUCCESS)
    return 0;
  fprintf(stderr, "error: %s failed: %s\n", what, attnCudaResultName((int)r));
  return 1;
}

static float fromBits16(unsigned short h, AttnCudaDType dtype) {
  if (dtype == ATTN_CUDA_DTYPE_BF16) {
    unsigned int u = (unsigned int)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
  }
  { /* f16 */
    int e = (h >> 10) & 31, m = h & 1023;
    float f = e == 0 ? ldexpf((float)m, -24)
              : e == 31 ? (m ? NAN : INFINITY)
                        : ldexpf((float)(m | 1024), e - 25);
    return (h & 0x8000) ? -f : f;
  }
}

int main(int argc, char **argv) {
  AttnCudaKernel *kernel = NULL;
  CUdevice device;
  CUcontext context = NULL;
  CUstream stream = NULL;
  CUdeviceptr *ptrs = NULL;
  int n, i, status = 1, first_output = -1;

  if (argc != 2) {
    fprintf(stderr, "usage: %s MANIFEST.json\n", argv[0]);
    return 1;
  }
  /* Loading reads and checks the manifest and the PTX; no CUDA call yet. */
  if (attnCudaKernelLoad(argv[1], &kernel) != ATTN_CUDA_SUCCESS) {
    fprintf(stderr, "error: %s\n", attnCudaGetLastError());
    return 1;
  }
  n = attnCudaKernelNumBuffers(kernel);
  printf("kernel %s: %d buffers, op %s, target %s\n", attnCudaKernelName(kernel),
         n, attnCudaKernelOp(kernel), attnCudaKernelTarget(kernel));
  fflush(stdout);

  if (cuCheck(cuInit(0), "cuInit") || cuCheck(cuDeviceGet(&device, 0), "cuDeviceGet") ||
      cuCheck(cuDevicePrimaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain") ||
      cuCheck(cuCtxSetCurrent(context), "cuCtxSetCurrent") ||
      cuCheck(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING), "cuStreamCreate"))
    goto done;

  ptrs = (CUdeviceptr *)calloc((size_t)n, sizeof *ptrs);
  for (i = 0; i < n; ++i) {
    AttnCudaBufferInfo b;
    attnCudaKernelBuffer(kernel, i, &b);
    if (b.role == ATTN_CUDA_ROLE_SCRATCH)
      continue; /* 0: the runtime allocates and caches it */
    if (cuCheck(cuMemAlloc(&ptrs[i], b.size_bytes ? b.size_bytes : 1), "cuMemAlloc"))
      goto done;
    if (b.role == ATTN_CUDA_ROLE_INPUT) {
      /* 0.01 * ((i * 37) % 17 - 8) in the buffer's type; gates stay <= 0
         and beta in (0, 1). */
      unsigned char *host = (unsigned char *)malloc(b.size_bytes ? b.size_bytes : 1);
      size_t e;
      int gate = strcmp(b.name, "g") == 0, beta = strcmp(b.name, "beta") == 0;
      for (e = 0; e < b.num_elements; ++e) {
        float x = 0.01f * (float)((int)((e * 37) % 17) - 8);
        if (gate)
          x = -fabsf(x);
        if (beta)
          x = 0.5f + x;
        if (b.dtype == ATTN_CUDA_DTYPE_F32) {
          memcpy(host + e * 4, &x, 4);
        } else if (b.dtype == ATTN_CUDA_DTYPE_I32) {
          int v = (int)(e % 7);
          memcpy(host + e * 4, &v, 4);
        } else if (b.dtype == ATTN_CUDA_DTYPE_BF16) {
          unsigned int u;
          unsigned short h;
          memcpy(&u, &x, 4);
          h = (unsigned short)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
          memcpy(host + e * 2, &h, 2);
        } else { /* f16: these small values are exact enough truncated */
          unsigned int u;
          unsigned short h;
          int exp;
          memcpy(&u, &x, 4);
          exp = (int)((u >> 23) & 255) - 127 + 15;
          h = (unsigned short)(((u >> 16) & 0x8000u) |
                               (exp <= 0 ? 0u : ((unsigned)exp << 10) | ((u >> 13) & 1023u)));
          memcpy(host + e * 2, &h, 2);
        }
      }
      if (cuCheck(cuMemcpyHtoD(ptrs[i], host, b.size_bytes), "cuMemcpyHtoD")) {
        free(host);
        goto done;
      }
      free(host);
    } else if (first_output < 0) {
      first_output = i;
    }
  }

  /* One pointer per buffer, in manifest order, on our stream. */
  if (attnCudaKernelLaunch(kernel, (const uint64_t *)ptrs, n, stream) != ATTN_CUDA_SUCCESS) {
    fprintf(stderr, "error: %s\n", attnCudaGetLastError());
    goto done;
  }
  if (cuCheck(cuStreamSynchronize(stream), "running the kernel"))
    goto done;

  if (first_output >= 0) {
    AttnCudaBufferInfo b;
    size_t e, nans = 0, esize;
    unsigned char *host;
    attnCudaKernelBuffer(kernel, first_output, &b);
    esize = b.dtype == ATTN_CUDA_DTYPE_BF16 || b.dtype == ATTN_CUDA_DTYPE_F16 ? 2 : 4;
    host = (unsigned char *)malloc(b.size_bytes ? b.size_bytes : 1);
    if (cuCheck(cuMemcpyDtoH(host, ptrs[first_output], b.size_bytes), "cuMemcpyDtoH")) {
      free(host);
      goto done;
    }
    printf("%s:", b.name);
    for (e = 0; e < b.num_elements; ++e) {
      float x;
      if (esize == 2) {
        unsigned short h;
        memcpy(&h, host + e * 2, 2);
        x = fromBits16(h, b.dtype);
      } else if (b.dtype == ATTN_CUDA_DTYPE_F32) {
        memcpy(&x, host + e * 4, 4);
      } else {
        int v;
        memcpy(&v, host + e * 4, 4);
        x = (float)v;
      }
      if (isnan(x))
        ++nans;
      if (e < 4)
        printf(" %g", x);
    }
    printf(" ... (%zu NaN)\n", nans);
    free(host);
    status = nans ? 2 : 0;
  } else {
    status = 0;
  }

done:
  /* The kernel goes first: it unloads its module from the live context. */
  attnCudaKernelDestroy(kernel);
  if (ptrs) {
    for (i = 0; i < n; ++i)
      if (ptrs[i])
        cuMemFree(ptrs[i]);
    free(ptrs);
  }
  if (stream)
    cuStreamDestroy(stream);
  if (context)
    cuDevicePrimaryCtxRelease(device);
  return status;
}
