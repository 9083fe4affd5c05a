// A target is a preset name or the path of a JSON target description (the
// presets are lib/TargetInfo/Targets/*.json, compiled in).
// RUN: attn-opt %s --attn-select-form="target=%S/../../lib/TargetInfo/Targets/x86-avx512.json explain" -o /dev/null 2>&1 | FileCheck %s --check-prefix=PRESET
// RUN: attn-opt %s --attn-select="target=%S/Inputs/many-core.json explain" -o /dev/null 2>&1 | FileCheck %s --check-prefix=FILE
// RUN: not attn-opt %s --attn-select-form="target=%S/Inputs/broken-target.json" 2>&1 | FileCheck %s --check-prefix=BROKEN
// RUN: not attn-opt %s --attn-select-form="target=%S/Inputs/missing.json" 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not attn-opt %s --attn-lower-to-gpu="target=%S/Inputs/broken-target.json" 2>&1 | FileCheck %s --check-prefix=GPU
// A GPU description file: its sm_version picks the PTX chip and the
// manifest's target.
// RUN: attn-opt %s --attn-to-gpu="target=%S/Inputs/my-h100.json to-binary=false" | FileCheck %s --check-prefix=GPUFILE

// PRESET: remark: attn-select-form on x86-avx512: chunkwise(C=16)
// FILE: remark: attn-select-form on many-core:
// FILE: remark: attn-select-chunk on many-core:
// BROKEN: error: attn target description {{.*}}broken-target.json: 'parallel_units' must be an integer >= 0
// MISSING: error: attn target description {{.*}}missing.json: cannot read: No such file or directory
// GPUFILE-DAG: target = "sm_90a"
// GPUFILE-DAG: nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">
// GPU: error: attn-lower-to-gpu: target description {{.*}}broken-target.json: 'parallel_units' must be an integer >= 0

func.func @long(%q: tensor<1x4096x8x64xf32>, %k: tensor<1x4096x8x64xf32>, %v: tensor<1x4096x8x64xf32>) -> tensor<1x4096x8x64xf32> {
  %o = attn.linear_attention %q, %k, %v : (tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>) -> tensor<1x4096x8x64xf32>
  return %o : tensor<1x4096x8x64xf32>
}
