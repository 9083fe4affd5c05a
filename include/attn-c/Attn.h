/*===-- attn-c/Attn.h - C API of the attn compiler ----------------*- C -*-===*\
|*                                                                            *|
|* Compile MLIR text containing attn ops through a pass pipeline into host    *|
|* code, call its functions on dense buffers, and run pipelines on text.      *|
|* The Python package and other languages reach the compiler only through     *|
|* this API. Strings returned through `char **` parameters are owned by the   *|
|* caller and freed with attnFreeString.                                      *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
#ifndef ATTN_C_ATTN_H
#define ATTN_C_ATTN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with hidden visibility; this API is what it exports. */
#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

/// Element types of the buffers a compiled function takes: floats, and
/// int32 for packed-sequence offsets (cu_seqlens).
typedef enum AttnElementType {
  ATTN_F32 = 0,
  ATTN_F16 = 1,
  ATTN_BF16 = 2,
  ATTN_UNSUPPORTED = 3,
  ATTN_I32 = 4
} AttnElementType;

/// A dense, row-major buffer: `rank` sizes, elements of `type` at `data`.
typedef struct AttnBuffer {
  void *data;
  AttnElementType type;
  intptr_t rank;
  const int64_t *sizes;
} AttnBuffer;

/// A JIT-compiled module (owns its MLIR context and code).
typedef struct AttnKernel AttnKernel;

/// Parses `mlirText`, lowers it with the textual pass pipeline `pipeline`
/// (which must end in the LLVM dialect with results as out-parameters, e.g.
/// "attn-to-llvm{results-to-out-params=true}") and JIT-compiles it. Every
/// function with a body becomes callable; their signatures (static float
/// tensors, or i32 ones) are recorded before lowering. Returns NULL on
/// failure and sets `*error` to the diagnostics, with their locations.
AttnKernel *attnCompile(const char *mlirText, const char *pipeline,
                        char **error);
void attnKernelDestroy(AttnKernel *kernel);

/// The functions a kernel can call, by index.
intptr_t attnKernelNumFunctions(const AttnKernel *kernel);
const char *attnKernelFunctionName(const AttnKernel *kernel, intptr_t index);

/// Number of inputs and results of `func`; returns 0 on success, -1 if there
/// is no such function.
int attnKernelSignature(const AttnKernel *kernel, const char *func,
                        intptr_t *numInputs, intptr_t *numResults);

/// Type of argument `index` of `func`, inputs first, then results. Writes
/// the rank, and the sizes when `sizes` is not NULL (it must hold `rank`
/// entries). Returns 0 on success, -1 on a bad function or index.
int attnKernelArgType(const AttnKernel *kernel, const char *func,
                      intptr_t index, AttnElementType *type, intptr_t *rank,
                      int64_t *sizes);

/// Calls `func` with `args`: its inputs then its results, each a buffer of
/// exactly the recorded type and shape. Returns 0 on success; -1 with
/// `*error` set when the buffers do not match or the call fails.
int attnKernelCall(AttnKernel *kernel, const char *func,
                   const AttnBuffer *args, intptr_t numArgs, char **error);

/// Writes a kernel returned by attnCompile as a shared library at `path`
/// (every function's C interface `_mlir_ciface_<name>` is exported, see
/// docs) plus its recorded signatures at `<path>.sig`, so that
/// attnKernelLoad can use it in another process without compiling. Returns
/// 0 on success, -1 with `*error` set.
int attnKernelSave(AttnKernel *kernel, const char *path, char **error);

/// Loads a kernel saved by attnKernelSave. Returns NULL with `*error` set
/// when the library or its signature file is missing or malformed.
AttnKernel *attnKernelLoad(const char *path, char **error);

/// Compiles every function of `mlirText` that holds one attn op on its
/// arguments into a GPU kernel for `target` ("sm_80" or "sm_90") through
/// the attn-to-gpu pipeline, and returns a JSON array with one object per
/// function: {"name": ..., "ptx": PTX text, "manifest": the launch manifest
/// of docs/gpu-runtime.md}. NULL on failure; diagnostics in `*diagnostics`
/// when it is not NULL. Free the result with attnFreeString. Needs no GPU.
char *attnCompileGPU(const char *mlirText, const char *target,
                     char **diagnostics);

/// Runs `pipeline` on `mlirText` and returns the resulting IR (NULL on
/// failure). Diagnostics (errors, and remarks such as the ones the
/// `explain` options emit) are returned in `*diagnostics` when it is not
/// NULL.
char *attnTransform(const char *mlirText, const char *pipeline,
                    char **diagnostics);

void attnFreeString(char *string);

/// "major.minor.patch" of the library.
const char *attnVersion(void);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif /* ATTN_C_ATTN_H */
