//===- TargetDescription.h - what the cost model knows of a target -*- C++ -*-===//
//
// A target is data, not code: the cost model and the chunk/tile selection
// read these numbers and nothing else about the hardware. Presets cover the
// machines attn targets; a user may build one by hand.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TARGETINFO_TARGETDESCRIPTION_H
#define ATTN_TARGETINFO_TARGETDESCRIPTION_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace attn::target {

enum class TargetKind { CPU, GPU };

struct TargetDescription {
  std::string name;
  TargetKind kind = TargetKind::CPU;

  // Throughput and memory, for both kinds.
  double peakMatmulGflops = 0;  // dense f32 (CPU) / bf16 tensor-core (GPU) GFLOP/s
  double peakVectorGflops = 0;  // non-matmul f32 FMA throughput, GFLOP/s
  double memBandwidthGBs = 0;   // DRAM / HBM, GB/s
  int64_t parallelUnits = 1;    // CPU cores / GPU SMs

  // CPU.
  int64_t vectorBits = 0;       // 256 (AVX2), 512 (AVX-512)
  int64_t l1Bytes = 0;          // per core
  int64_t l2Bytes = 0;          // per core
  int64_t vectorRegisters = 0;  // architectural vector registers: 32 (AVX-512),
                                // 16 (AVX2); 0 = assume 16

  // GPU.
  int64_t smemBytesPerUnit = 0; // shared memory per SM usable by one block
  int64_t mmaM = 0, mmaN = 0, mmaK = 0; // tensor-core tile (bf16)
  int64_t smVersion = 0;        // 80, 90

  /// Fixed cost of one sequential step of a loop the hardware cannot run in
  /// parallel (loop overhead, a kernel-internal barrier), in nanoseconds.
  double sequentialStepNs = 0;
  /// Fixed cost of one iteration of an inner loop of the generated code that
  /// each core (SM) runs on its own (the set-up of the iteration's loop
  /// nests), in nanoseconds: the tiled softmax pays it per key block.
  double loopIterationNs = 0;
};

/// The preset named `name` ("x86-avx512", "x86-avx2", "sm_80", "sm_90"), or
/// nullopt.
std::optional<TargetDescription> lookupTarget(const std::string &name);

/// Names of all presets, for messages and --help.
std::vector<std::string> targetNames();

/// The default target for host compilation.
const TargetDescription &defaultCpuTarget();

} // namespace attn::target

#endif // ATTN_TARGETINFO_TARGETDESCRIPTION_H
