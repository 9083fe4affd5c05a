//===- TargetDescription.h - what the cost model knows of a target -*- C++ -*-===//
//
// A target is data, not code: the cost model and the chunk/tile selection
// read these numbers and nothing else about the hardware. The presets are the
// JSON files of lib/TargetInfo/Targets/ (compiled into the library); a user
// may write such a file for another machine and pass its path wherever a
// target name is taken, or build a description by hand.
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
/// the description in the JSON file at `name` when it ends in ".json";
/// nullopt if there is neither (resolveTarget says why).
std::optional<TargetDescription> lookupTarget(const std::string &name);

/// As lookupTarget, with the reason on failure in `error`: an unknown name
/// (listing the presets), an unreadable file, or a malformed description
/// (naming the field).
std::optional<TargetDescription> resolveTarget(const std::string &name,
                                               std::string &error);

/// Parses a target description from JSON text (the format of
/// lib/TargetInfo/Targets/*.json: flat fields in snake_case, "kind" "cpu" or
/// "gpu", free-text "about" and "notes"); unknown fields are errors.
/// `origin` names the text in messages.
std::optional<TargetDescription>
parseTargetDescription(const std::string &json, const std::string &origin,
                       std::string &error);

/// Names of all presets, for messages and --help.
std::vector<std::string> targetNames();

/// The default target for host compilation.
const TargetDescription &defaultCpuTarget();

} // namespace attn::target

#endif // ATTN_TARGETINFO_TARGETDESCRIPTION_H
