//===- TargetDescription.cpp - target presets ------------------------------===//
//
// The presets the cost model is tuned on. Every number is for the whole
// device or machine (all cores / all SMs) unless its field says "per core" or
// "per SM"; where a number comes from is written beside it.
//
//===----------------------------------------------------------------------===//

#include "attn/TargetInfo/TargetDescription.h"

namespace attn::target {

namespace {

/// The 2-core AVX-512 machine the project's CPU benchmarks run on: two
/// AMD EPYC (Zen 4, family 25 model 17) vCPUs, lscpu's caches.
TargetDescription makeX86Avx512() {
  TargetDescription t;
  t.name = "x86-avx512";
  t.kind = TargetKind::CPU;
  t.parallelUnits = 2;
  t.vectorBits = 512;
  t.vectorRegisters = 32;     // zmm0-31
  t.l1Bytes = 32 * 1024;      // 32 KiB L1d per core
  t.l2Bytes = 1024 * 1024;    // 1 MiB L2 per core
  // Zen 4 issues one 512-bit FMA per cycle (two 256-bit pipes): 2 cores x
  // 16 lanes x 2 flops x ~3 GHz ~= 190; numpy's sgemm measures 188 GFLOP/s
  // here (bench/cpu/results.md).
  t.peakMatmulGflops = 190;
  // Non-matmul FMA work (matrix-vector, rank-1 updates) is load/store bound:
  // about half of the FMA peak.
  t.peakVectorGflops = 95;
  t.memBandwidthGBs = 20;     // what two cores of a shared server stream
  // One step of a sequential loop of the generated code (a chunk, or a time
  // step of the recurrence): a dozen small loop nests, each with its set-up,
  // for the 4 heads each core runs. Fitted to attn-run timings of linear
  // attention at T = 4..4096 (quadratic wins at T <= 32, C = 16 at 4096).
  t.sequentialStepNs = 2000;
  // A key block of the tiled softmax: eight small vector loop nests. Fitted
  // to a decode step against a 32k cache: C = 16 costs 12.8 ms, C = 64 to
  // 1024 11.4 to 11.9 ms (2048 vs 128 blocks per head, 4 heads per core).
  t.loopIterationNs = 170;
  return t;
}

/// A typical 8-core AVX2 desktop/laptop (Zen 2/3, Skylake client class).
TargetDescription makeX86Avx2() {
  TargetDescription t;
  t.name = "x86-avx2";
  t.kind = TargetKind::CPU;
  t.parallelUnits = 8;
  t.vectorBits = 256;
  t.vectorRegisters = 16;     // ymm0-15
  t.l1Bytes = 32 * 1024;      // 32 KiB L1d per core
  t.l2Bytes = 512 * 1024;     // 512 KiB L2 per core (Zen 2/3)
  // 8 cores x 2 FMA x 8 lanes x 2 flops x ~3.2 GHz ~= 800 theoretical; ~400
  // is what a tuned sgemm sustains with all cores at all-core clocks.
  t.peakMatmulGflops = 400;
  t.peakVectorGflops = 200;   // half of matmul, as above
  t.memBandwidthGBs = 40;     // dual-channel DDR4-3200 ~ 51 GB/s peak, ~40 sustained
  t.sequentialStepNs = 50;
  return t;
}

/// NVIDIA A100 (40 GB SXM), from the A100 whitepaper.
TargetDescription makeSm80() {
  TargetDescription t;
  t.name = "sm_80";
  t.kind = TargetKind::GPU;
  t.parallelUnits = 108;          // SMs
  t.peakMatmulGflops = 312000;    // dense bf16 tensor core
  t.peakVectorGflops = 19500;     // f32 FMA (non-tensor)
  t.memBandwidthGBs = 1555;       // HBM2, 40 GB part
  t.smemBytesPerUnit = 163 * 1024; // max dynamic shared memory per block (A100)
  t.mmaM = 16;                    // mma.sync.m16n8k16 (bf16)
  t.mmaN = 8;
  t.mmaK = 16;
  t.smVersion = 80;
  t.sequentialStepNs = 300;       // a block-wide barrier plus a global round trip
  return t;
}

/// NVIDIA H100 SXM5, from the H100 whitepaper.
TargetDescription makeSm90() {
  TargetDescription t;
  t.name = "sm_90";
  t.kind = TargetKind::GPU;
  t.parallelUnits = 132;          // SMs
  t.peakMatmulGflops = 989000;    // dense bf16 tensor core (no sparsity)
  t.peakVectorGflops = 67000;     // f32 FMA (non-tensor)
  t.memBandwidthGBs = 3350;       // HBM3
  t.smemBytesPerUnit = 227 * 1024; // max shared memory per block on sm_90
  t.mmaM = 64;                    // wgmma.m64nNk16, N = 64 used as the tile
  t.mmaN = 64;
  t.mmaK = 16;
  t.smVersion = 90;
  t.sequentialStepNs = 300;
  return t;
}

const std::vector<TargetDescription> &presets() {
  static const std::vector<TargetDescription> all = {
      makeX86Avx512(), makeX86Avx2(), makeSm80(), makeSm90()};
  return all;
}

} // namespace

std::optional<TargetDescription> lookupTarget(const std::string &name) {
  for (const TargetDescription &t : presets())
    if (t.name == name)
      return t;
  return std::nullopt;
}

std::vector<std::string> targetNames() {
  std::vector<std::string> names;
  for (const TargetDescription &t : presets())
    names.push_back(t.name);
  return names;
}

const TargetDescription &defaultCpuTarget() {
  // The presets vector is built once and never changes, so a reference into
  // it stays valid.
  return presets().front();
}

} // namespace attn::target
