/*===- attn-cuda/AttnCuda.h - Running attn GPU kernels (C ABI) ----*- C -*-===*
 *
 * Loads a kernel that the attn GPU backend wrote (a JSON launch manifest,
 * format "attn-gpu-kernel/1", beside its PTX; docs/gpu-runtime.md) and
 * launches it through the CUDA driver API. No MLIR is needed.
 *
 *   AttnCudaKernel *k;
 *   if (attnCudaKernelLoad("gla.json", &k) != ATTN_CUDA_SUCCESS) {
 *     fprintf(stderr, "%s\n", attnCudaGetLastError());
 *     return 1;
 *   }
 *   uint64_t ptrs[6] = {q, k_, v, g, o, 0};   // one CUdeviceptr per buffer;
 *                                             // 0 for scratch: the runtime
 *                                             // allocates it
 *   attnCudaKernelLaunch(k, ptrs, 6, stream);  // CUstream, or NULL
 *   attnCudaKernelDestroy(k);
 *
 * Errors: every function that can fail returns an AttnCudaStatus; the message
 * of the last failure on the calling thread (which file, what failed and,
 * for CUDA calls, the CUresult name) is attnCudaGetLastError(). Nothing
 * aborts the process.
 *
 * Contexts: a launch runs in the context of its stream (for a NULL or legacy
 * default stream: the current context; if none is current, the primary
 * context of device 0, made current and retained until the kernel is
 * destroyed). The module is loaded (PTX JIT-compiled) into a context the first
 * time the kernel is launched or prepared there.
 *
 * Threads: one kernel object may be launched from several threads. Scratch
 * buffers that the runtime allocates are cached per context and shared by
 * every launch of that kernel object in that context: launches that may
 * overlap on different streams must pass their own scratch pointers.
 *
 *===----------------------------------------------------------------------===*/

#ifndef ATTN_CUDA_ATTNCUDA_H
#define ATTN_CUDA_ATTNCUDA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define ATTN_CUDA_API __declspec(dllexport)
#else
#define ATTN_CUDA_API __attribute__((visibility("default")))
#endif

/* The manifest format this runtime reads. */
#define ATTN_CUDA_MANIFEST_FORMAT "attn-gpu-kernel/1"

typedef enum AttnCudaStatus {
  ATTN_CUDA_SUCCESS = 0,
  ATTN_CUDA_ERROR_INVALID_ARGUMENT = 1, /* null, out of range, wrong count,
                                           misaligned pointer */
  ATTN_CUDA_ERROR_IO = 2,               /* a file could not be read */
  ATTN_CUDA_ERROR_INVALID_MANIFEST = 3, /* malformed JSON or contract */
  ATTN_CUDA_ERROR_INVALID_PTX = 4,      /* PTX disagrees with the manifest */
  ATTN_CUDA_ERROR_UNSUPPORTED_DEVICE = 5, /* wrong compute capability,
                                             too little shared memory */
  ATTN_CUDA_ERROR_CUDA = 6,             /* a CUDA driver call failed */
  ATTN_CUDA_ERROR_OUT_OF_MEMORY = 7     /* host or device allocation */
} AttnCudaStatus;

typedef enum AttnCudaRole {
  ATTN_CUDA_ROLE_INPUT = 0,
  ATTN_CUDA_ROLE_OUTPUT = 1,
  ATTN_CUDA_ROLE_SCRATCH = 2
} AttnCudaRole;

typedef enum AttnCudaDType {
  ATTN_CUDA_DTYPE_BF16 = 0,
  ATTN_CUDA_DTYPE_F16 = 1,
  ATTN_CUDA_DTYPE_F32 = 2,
  ATTN_CUDA_DTYPE_I32 = 3
} AttnCudaDType;

typedef struct AttnCudaKernel AttnCudaKernel;

/* One buffer of the manifest. The strings and the shape array belong to the
   kernel object and live until it is destroyed. */
typedef struct AttnCudaBufferInfo {
  const char *name;
  AttnCudaRole role;
  AttnCudaDType dtype;
  int rank;
  const int64_t *shape;  /* rank entries, row-major (contiguous) layout */
  uint64_t num_elements;
  uint64_t size_bytes;
} AttnCudaBufferInfo;

typedef struct AttnCudaLaunchInfo {
  const char *entry;
  unsigned grid[3];
  unsigned block[3];
  unsigned shared_bytes;
  int num_args;
  const int *args;       /* buffer indices, one per kernel parameter */
} AttnCudaLaunchInfo;

/* The message of the last failure on this thread ("" if none). Valid until
   the next call into this library on the same thread. */
ATTN_CUDA_API const char *attnCudaGetLastError(void);
/* The CUresult of the last failure on this thread, 0 if it was no CUDA
   call. */
ATTN_CUDA_API int attnCudaGetLastCudaResult(void);
/* The name of a CUresult ("CUDA_ERROR_INVALID_PTX"), also where the driver
   cannot name it (the stub library); "CUresult N" if unknown. */
ATTN_CUDA_API const char *attnCudaResultName(int cu_result);
/* "ATTN_CUDA_ERROR_INVALID_MANIFEST", ... */
ATTN_CUDA_API const char *attnCudaStatusName(AttnCudaStatus status);
ATTN_CUDA_API const char *attnCudaDTypeName(AttnCudaDType dtype);
ATTN_CUDA_API const char *attnCudaRoleName(AttnCudaRole role);

/* Reads and checks a manifest and the PTX it names. Makes no CUDA call:
   works on machines without a GPU. */
ATTN_CUDA_API AttnCudaStatus attnCudaKernelLoad(const char *manifest_path,
                                                AttnCudaKernel **kernel);
/* Frees the kernel, its modules and the scratch it allocated, and releases
   the primary contexts it retained. NULL is allowed. */
ATTN_CUDA_API void attnCudaKernelDestroy(AttnCudaKernel *kernel);

ATTN_CUDA_API const char *attnCudaKernelName(const AttnCudaKernel *kernel);
ATTN_CUDA_API const char *attnCudaKernelOp(const AttnCudaKernel *kernel);
ATTN_CUDA_API const char *attnCudaKernelTarget(const AttnCudaKernel *kernel);
ATTN_CUDA_API const char *attnCudaKernelManifestPath(
    const AttnCudaKernel *kernel);
ATTN_CUDA_API const char *attnCudaKernelPtxPath(const AttnCudaKernel *kernel);
/* The "attributes" object as compact JSON text ("{}" if absent). */
ATTN_CUDA_API const char *attnCudaKernelAttributesJson(
    const AttnCudaKernel *kernel);
/* A numeric or boolean attribute (true = 1, false = 0). Returns 1 and sets
   *value if the attribute exists and is a number or boolean, else 0. */
ATTN_CUDA_API int attnCudaKernelAttributeNumber(const AttnCudaKernel *kernel,
                                                const char *key,
                                                double *value);
/* A string attribute, or NULL. */
ATTN_CUDA_API const char *attnCudaKernelAttributeString(
    const AttnCudaKernel *kernel, const char *key);

ATTN_CUDA_API int attnCudaKernelNumBuffers(const AttnCudaKernel *kernel);
ATTN_CUDA_API AttnCudaStatus attnCudaKernelBuffer(const AttnCudaKernel *kernel,
                                                  int index,
                                                  AttnCudaBufferInfo *info);
/* Index of the buffer named `name`, or -1. */
ATTN_CUDA_API int attnCudaKernelFindBuffer(const AttnCudaKernel *kernel,
                                           const char *name);
ATTN_CUDA_API int attnCudaKernelNumLaunches(const AttnCudaKernel *kernel);
ATTN_CUDA_API AttnCudaStatus attnCudaKernelLaunchInfo(
    const AttnCudaKernel *kernel, int index, AttnCudaLaunchInfo *info);
/* Bytes of scratch the runtime allocates when every scratch pointer is 0. */
ATTN_CUDA_API uint64_t attnCudaKernelScratchBytes(
    const AttnCudaKernel *kernel);

/* Loads the module into the stream's context (see Contexts above) and
   checks the device: compute capability against the target, shared memory,
   threads per block, the entries' parameters. A launch does this itself
   the first time; call it to keep the PTX JIT out of a timing. `stream` is a
   CUstream (NULL: the default stream). */
ATTN_CUDA_API AttnCudaStatus attnCudaKernelPrepare(AttnCudaKernel *kernel,
                                                   void *stream);

/* Launches every entry in manifest order on `stream` (a CUstream; NULL: the
   default stream). `buffers` holds one device pointer (CUdeviceptr) per
   manifest buffer, in manifest order, each at least 16-byte aligned; a 0
   scratch pointer makes the runtime use a cached allocation of its own.
   Asynchronous like cuLaunchKernel: an error in a kernel shows up at the
   next synchronization, unless ATTN_CUDA_DEBUG=1 is set in the environment
   (then each launch is followed by a stream synchronization and pointers are
   checked against their allocations). */
ATTN_CUDA_API AttnCudaStatus attnCudaKernelLaunch(AttnCudaKernel *kernel,
                                                  const uint64_t *buffers,
                                                  int num_buffers,
                                                  void *stream);

#ifdef __cplusplus
}
#endif

#endif /* ATTN_CUDA_ATTNCUDA_H */
