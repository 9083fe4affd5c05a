//===- Runtime.cpp - The attn CUDA runtime: the kernel object's C ABI -----===//
//
// Loading a kernel (its manifest and PTX, checked by Manifest.cpp and
// Ptx.cpp without CUDA), destroying it, and the queries on it. Kernel.h
// lists where the rest of include/attn-cuda/AttnCuda.h is implemented.
//
//===----------------------------------------------------------------------===//

#include "Kernel.h"

#include <cstdlib>
#include <cstring>
#include <new>

using namespace attn::cuda;

extern "C" {

const char *attnCudaDTypeName(AttnCudaDType dtype) {
  if (dtype < ATTN_CUDA_DTYPE_BF16 || dtype > ATTN_CUDA_DTYPE_I32)
    return "?";
  return dtypeName(DType(int(dtype)));
}

const char *attnCudaRoleName(AttnCudaRole role) {
  if (role < ATTN_CUDA_ROLE_INPUT || role > ATTN_CUDA_ROLE_SCRATCH)
    return "?";
  return roleName(Role(int(role)));
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
    switch (loadManifestFile(kernel->manifestPath, kernel->manifest,
                             kernel->ptx, error)) {
    case LoadResult::Ok:
      break;
    case LoadResult::IOError:
      return failWith(ATTN_CUDA_ERROR_IO, error);
    case LoadResult::InvalidManifest:
      return failWith(ATTN_CUDA_ERROR_INVALID_MANIFEST, error);
    case LoadResult::InvalidPtx:
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
  releaseContexts(kernel);
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

} // extern "C"
