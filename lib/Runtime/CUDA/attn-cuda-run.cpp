//===- attn-cuda-run.cpp - Run one attn GPU kernel on random inputs -------===//
//
//   attn-cuda-run MANIFEST [--device N] [--repeat N] [--warmup N] [--seed S]
//                          [--allow-nan] [--own-scratch]
//
// Loads the manifest, allocates every buffer, fills the inputs with random
// values drawn by role (as test/GPU/check_kernels.py does), fills the outputs
// with NaN (0xFF bytes) so that elements no kernel writes show up, runs the
// kernel once and prints a checksum line per output; with --repeat N it then
// times N more runs with CUDA events and prints the median. Meant for smoke
// tests and for compute-sanitizer:
//
//   compute-sanitizer --tool memcheck attn-cuda-run gla.json
//
// Exit status: 0 ok, 1 an error (message on stderr), 2 NaN or Inf in an
// output (unless --allow-nan).
//
//===----------------------------------------------------------------------===//

#include "attn-cuda/AttnCuda.hpp"

#include <cuda.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

struct Options {
  std::string manifest;
  int device = 0;
  int repeat = 0;
  int warmup = 3;
  uint64_t seed = 0;
  bool allowNan = false;
  bool ownScratch = false;
};

[[noreturn]] void usage(const char *msg = nullptr) {
  if (msg)
    std::fprintf(stderr, "attn-cuda-run: error: %s\n", msg);
  std::fprintf(stderr,
               "usage: attn-cuda-run MANIFEST.json [--device N] [--repeat N] "
               "[--warmup N] [--seed S] [--allow-nan] [--own-scratch]\n");
  std::exit(1);
}

bool parseInt(const char *s, long long lo, long long hi, long long &out) {
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(s, &end, 10);
  if (errno || !end || *end || end == s || v < lo || v > hi)
    return false;
  out = v;
  return true;
}

Options parseArgs(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](long long lo, long long hi) {
      std::string flag = a, text;
      size_t eq = a.find('=');
      if (eq != std::string::npos) {
        flag = a.substr(0, eq);
        text = a.substr(eq + 1);
      } else {
        if (i + 1 >= argc)
          usage((flag + " needs a value").c_str());
        text = argv[++i];
      }
      long long v;
      if (!parseInt(text.c_str(), lo, hi, v))
        usage((flag + ": bad value '" + text + "'").c_str());
      return v;
    };
    auto is = [&](const char *flag) {
      return a == flag || a.rfind(std::string(flag) + "=", 0) == 0;
    };
    if (a == "-h" || a == "--help")
      usage();
    else if (is("--device"))
      o.device = int(value(0, 1024));
    else if (is("--repeat"))
      o.repeat = int(value(0, 1000000));
    else if (is("--warmup"))
      o.warmup = int(value(0, 1000000));
    else if (is("--seed"))
      o.seed = uint64_t(value(0, INT64_MAX));
    else if (a == "--allow-nan")
      o.allowNan = true;
    else if (a == "--own-scratch")
      o.ownScratch = true;
    else if (!a.empty() && a[0] == '-')
      usage(("unknown option " + a).c_str());
    else if (o.manifest.empty())
      o.manifest = a;
    else
      usage("more than one manifest");
  }
  if (o.manifest.empty())
    usage("no manifest");
  return o;
}

// Host conversions (round to nearest even).
uint16_t toBF16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffff) > 0x7f800000)
    return 0x7fc0;
  u += 0x7fff + ((u >> 16) & 1);
  return uint16_t(u >> 16);
}

float fromBF16(uint16_t h) {
  uint32_t u = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

uint16_t toF16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  uint32_t sign = (u >> 16) & 0x8000;
  uint32_t abs = u & 0x7fffffff;
  if (abs > 0x7f800000)
    return uint16_t(sign | 0x7e00);
  if (abs >= 0x477ff000) // rounds to >= 65520: infinity
    return uint16_t(sign | 0x7c00);
  if (abs < 0x38800000) { // subnormal half (or zero)
    float af;
    std::memcpy(&af, &abs, 4);
    // af * 2^24 rounded to nearest even: the subnormal mantissa.
    float scaled = af * 16777216.0f;
    uint32_t m = uint32_t(std::nearbyint(scaled));
    return uint16_t(sign | m);
  }
  uint32_t exp = ((abs >> 23) - 127 + 15) << 10;
  uint32_t mant = abs & 0x7fffff;
  uint32_t half = exp | (mant >> 13);
  uint32_t rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (half & 1)))
    ++half;
  return uint16_t(sign | half);
}

float fromF16(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float f;
  if (exp == 0) {
    f = std::ldexp(float(mant), -24);
    return sign ? -f : f;
  }
  uint32_t u = exp == 31 ? sign | 0x7f800000 | (mant << 13)
                         : sign | ((exp - 15 + 127) << 23) | (mant << 13);
  std::memcpy(&f, &u, 4);
  return f;
}

// Random values for buffer `name` of `op`, as float, in row-major order.
std::vector<float> randomInput(const std::string &op, const std::string &name,
                               const std::vector<int64_t> &shape,
                               uint64_t count, std::mt19937_64 &rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(count);
  for (auto &v : x)
    v = normal(rng);
  if (name == "g") {
    // Weak log-decays: logsigmoid(randn) / 16, all <= 0.
    for (auto &v : x)
      v = -std::log1p(std::exp(-v)) / 16.0f;
  } else if (name == "beta") {
    for (auto &v : x)
      v = 1.0f / (1.0f + std::exp(-v));
  } else if (name == "initial_state") {
    for (auto &v : x)
      v *= 0.1f;
  } else if (name == "k" && op == "delta_rule" && !shape.empty() &&
             shape.back() > 0) {
    // L2-normalized rows.
    size_t d = size_t(shape.back());
    for (size_t row = 0; row + d <= x.size(); row += d) {
      double norm = 0;
      for (size_t i = 0; i < d; ++i)
        norm += double(x[row + i]) * x[row + i];
      float inv = float(1.0 / std::sqrt(std::max(norm, 1e-30)));
      for (size_t i = 0; i < d; ++i)
        x[row + i] *= inv;
    }
  }
  return x;
}

std::vector<uint8_t> encode(const std::vector<float> &x, AttnCudaDType dtype) {
  std::vector<uint8_t> bytes;
  switch (dtype) {
  case ATTN_CUDA_DTYPE_BF16:
  case ATTN_CUDA_DTYPE_F16: {
    bytes.resize(x.size() * 2);
    for (size_t i = 0; i < x.size(); ++i) {
      uint16_t h = dtype == ATTN_CUDA_DTYPE_BF16 ? toBF16(x[i]) : toF16(x[i]);
      std::memcpy(&bytes[i * 2], &h, 2);
    }
    break;
  }
  case ATTN_CUDA_DTYPE_F32:
    bytes.resize(x.size() * 4);
    std::memcpy(bytes.data(), x.data(), bytes.size());
    break;
  case ATTN_CUDA_DTYPE_I32: {
    bytes.resize(x.size() * 4);
    for (size_t i = 0; i < x.size(); ++i) {
      int32_t v = int32_t(std::lround(std::fabs(x[i]) * 4));
      std::memcpy(&bytes[i * 4], &v, 4);
    }
    break;
  }
  }
  return bytes;
}

double elementAt(const std::vector<uint8_t> &bytes, size_t i,
                 AttnCudaDType dtype) {
  switch (dtype) {
  case ATTN_CUDA_DTYPE_BF16:
  case ATTN_CUDA_DTYPE_F16: {
    uint16_t h;
    std::memcpy(&h, &bytes[i * 2], 2);
    return dtype == ATTN_CUDA_DTYPE_BF16 ? fromBF16(h) : fromF16(h);
  }
  case ATTN_CUDA_DTYPE_F32: {
    float f;
    std::memcpy(&f, &bytes[i * 4], 4);
    return f;
  }
  case ATTN_CUDA_DTYPE_I32: {
    int32_t v;
    std::memcpy(&v, &bytes[i * 4], 4);
    return v;
  }
  }
  return 0;
}

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string cuText(CUresult r) { return attnCudaResultName(int(r)); }

struct CuFailure {
  std::string what;
};

void cu(CUresult r, const std::string &what) {
  if (r != CUDA_SUCCESS)
    throw CuFailure{what + " failed: " + cuText(r)};
}

// Frees device memory and the context reference at scope exit.
struct DeviceState {
  CUdevice device = 0;
  CUcontext context = nullptr;
  CUstream stream = nullptr;
  std::vector<CUdeviceptr> allocations;
  std::vector<CUevent> events;
  ~DeviceState() {
    for (CUevent e : events)
      cuEventDestroy(e);
    for (CUdeviceptr p : allocations)
      if (p)
        cuMemFree(p);
    if (stream)
      cuStreamDestroy(stream);
    if (context)
      cuDevicePrimaryCtxRelease(device);
  }
};

int run(const Options &o) {
  // Declared first so that it goes last: the kernel unloads its module
  // while the context is still alive.
  DeviceState dev;
  attn::cuda::Kernel kernel(o.manifest);
  std::printf("kernel %s: %s, %s, from %s\n", kernel.name().c_str(),
              kernel.op().c_str(), kernel.target().c_str(),
              kernel.manifestPath().c_str());
  std::printf("  attributes %s\n", kernel.attributesJson().c_str());
  auto buffers = kernel.buffers();
  for (size_t b = 0; b < buffers.size(); ++b)
    std::printf("  buffer %zu %-14s %-7s %-4s %-22s %.3f MiB\n", b,
                buffers[b].name.c_str(), attnCudaRoleName(buffers[b].role),
                attnCudaDTypeName(buffers[b].dtype),
                shapeText(buffers[b].shape).c_str(),
                double(buffers[b].sizeBytes) / (1 << 20));
  for (int i = 0; i < kernel.numLaunches(); ++i) {
    auto l = kernel.launchInfo(i);
    std::string args;
    for (int a : l.args)
      args += (args.empty() ? "" : ",") + std::to_string(a);
    std::printf("  launch %d %s grid [%u,%u,%u] block [%u,%u,%u] shared %u B "
                "args [%s]\n",
                i, l.entry.c_str(), l.grid[0], l.grid[1], l.grid[2],
                l.block[0], l.block[1], l.block[2], l.sharedBytes,
                args.c_str());
  }

  cu(cuInit(0), "cuInit");
  int count = 0;
  cu(cuDeviceGetCount(&count), "cuDeviceGetCount");
  if (o.device >= count)
    throw CuFailure{"--device " + std::to_string(o.device) + ": only " +
                    std::to_string(count) + " devices"};
  cu(cuDeviceGet(&dev.device, o.device), "cuDeviceGet");
  cu(cuDevicePrimaryCtxRetain(&dev.context, dev.device),
     "cuDevicePrimaryCtxRetain");
  cu(cuCtxSetCurrent(dev.context), "cuCtxSetCurrent");
  char name[256] = {0};
  cu(cuDeviceGetName(name, sizeof name - 1, dev.device), "cuDeviceGetName");
  int major = 0, minor = 0;
  cu(cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                          dev.device),
     "cuDeviceGetAttribute");
  cu(cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                          dev.device),
     "cuDeviceGetAttribute");
  std::printf("device %d: %s (sm_%d%d)\n", o.device, name, major, minor);
  cu(cuStreamCreate(&dev.stream, CU_STREAM_NON_BLOCKING), "cuStreamCreate");

  auto t0 = std::chrono::steady_clock::now();
  kernel.prepare(dev.stream);
  double jitMs = std::chrono::duration<double, std::milli>(
                     std::chrono::steady_clock::now() - t0)
                     .count();
  std::printf("module loaded (PTX JIT) in %.1f ms\n", jitMs);

  std::mt19937_64 rng(o.seed);
  std::vector<uint64_t> ptrs(buffers.size(), 0);
  for (size_t b = 0; b < buffers.size(); ++b) {
    const auto &buf = buffers[b];
    if (buf.role == ATTN_CUDA_ROLE_SCRATCH && !o.ownScratch)
      continue; // the runtime allocates it
    CUdeviceptr p = 0;
    cu(cuMemAlloc(&p, buf.sizeBytes ? buf.sizeBytes : 1),
       "cuMemAlloc(" + std::to_string(buf.sizeBytes) + " B) for " + buf.name);
    dev.allocations.push_back(p);
    ptrs[b] = p;
    if (buf.role == ATTN_CUDA_ROLE_INPUT) {
      auto bytes = encode(randomInput(kernel.op(), buf.name, buf.shape,
                                      buf.numElements, rng),
                          buf.dtype);
      if (!bytes.empty())
        cu(cuMemcpyHtoD(p, bytes.data(), bytes.size()),
           "cuMemcpyHtoD for " + buf.name);
    } else if (buf.sizeBytes) {
      // NaN in every float type: elements no kernel writes stay NaN.
      cu(cuMemsetD8(p, 0xFF, buf.sizeBytes), "cuMemsetD8 for " + buf.name);
    }
  }

  kernel.launch(ptrs, dev.stream);
  cu(cuStreamSynchronize(dev.stream), "running the kernel");

  bool bad = false;
  for (size_t b = 0; b < buffers.size(); ++b) {
    const auto &buf = buffers[b];
    if (buf.role != ATTN_CUDA_ROLE_OUTPUT)
      continue;
    std::vector<uint8_t> bytes(buf.sizeBytes);
    if (!bytes.empty())
      cu(cuMemcpyDtoH(bytes.data(), ptrs[b], bytes.size()),
         "cuMemcpyDtoH for " + buf.name);
    double sum = 0, absSum = 0, maxAbs = 0;
    uint64_t nans = 0, infs = 0;
    uint64_t hash = 1469598103934665603ull; // FNV-1a of the bytes
    for (uint8_t c : bytes)
      hash = (hash ^ c) * 1099511628211ull;
    for (uint64_t i = 0; i < buf.numElements; ++i) {
      double x = elementAt(bytes, i, buf.dtype);
      if (std::isnan(x)) {
        ++nans;
      } else if (std::isinf(x)) {
        ++infs;
      } else {
        sum += x;
        absSum += std::fabs(x);
        maxAbs = std::max(maxAbs, std::fabs(x));
      }
    }
    std::printf("output %s %s %s: sum %.6e mean|x| %.6e max|x| %.6e nan %" PRIu64
                " inf %" PRIu64 " fnv1a %016" PRIx64 "\n",
                buf.name.c_str(), attnCudaDTypeName(buf.dtype),
                shapeText(buf.shape).c_str(), sum,
                buf.numElements ? absSum / double(buf.numElements) : 0.0,
                maxAbs, nans, infs, hash);
    bad |= nans || infs;
  }

  if (o.repeat > 0) {
    for (int i = 0; i < o.warmup; ++i)
      kernel.launch(ptrs, dev.stream);
    dev.events.resize(size_t(o.repeat) * 2, nullptr);
    for (auto &e : dev.events)
      cu(cuEventCreate(&e, CU_EVENT_DEFAULT), "cuEventCreate");
    for (int i = 0; i < o.repeat; ++i) {
      cu(cuEventRecord(dev.events[2 * i], dev.stream), "cuEventRecord");
      kernel.launch(ptrs, dev.stream);
      cu(cuEventRecord(dev.events[2 * i + 1], dev.stream), "cuEventRecord");
    }
    cu(cuStreamSynchronize(dev.stream), "running the timed launches");
    std::vector<float> ms(size_t(o.repeat));
    for (int i = 0; i < o.repeat; ++i)
      cu(cuEventElapsedTime(&ms[size_t(i)], dev.events[2 * i],
                            dev.events[2 * i + 1]),
         "cuEventElapsedTime");
    std::sort(ms.begin(), ms.end());
    std::printf("time: median %.4f ms, min %.4f ms, max %.4f ms over %d runs "
                "(%d warm-up)\n",
                ms[ms.size() / 2], ms.front(), ms.back(), o.repeat, o.warmup);
  }
  if (bad && !o.allowNan) {
    std::fprintf(stderr, "attn-cuda-run: NaN or Inf in an output (elements "
                         "no kernel wrote stay NaN)\n");
    return 2;
  }
  std::printf("ok\n");
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  Options o = parseArgs(argc, argv);
  try {
    return run(o);
  } catch (const attn::cuda::Error &e) {
    std::fprintf(stderr, "attn-cuda-run: error: %s\n", e.what());
  } catch (const CuFailure &e) {
    std::fprintf(stderr, "attn-cuda-run: error: %s\n", e.what.c_str());
  } catch (const std::exception &e) {
    std::fprintf(stderr, "attn-cuda-run: error: %s\n", e.what());
  }
  return 1;
}
