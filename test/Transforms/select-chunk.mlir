// RUN: attn-opt %s -split-input-file --attn-select-chunk | FileCheck %s
// RUN: attn-opt %s -split-input-file --attn-select-chunk="chunk-size=48" | FileCheck %s --check-prefix=FORCED
// RUN: attn-opt %s -split-input-file --attn-select-chunk="target=sm_90" | FileCheck %s --check-prefix=GPU

// Only chunkwise ops get a chunk size; one set by the user is kept.
// CHECK-LABEL: func.func @chunks
// CHECK: attn.linear_attention {{.*}}chunk_size = {{16|32|64|128}} : i64
// CHECK: attn.linear_attention {{.*}}chunk_size = 100 : i64
// CHECK-NOT: chunk_size
// CHECK: return
// FORCED-LABEL: func.func @chunks
// FORCED: chunk_size = 48 : i64
// FORCED: chunk_size = 100 : i64
// GPU-LABEL: func.func @chunks
// GPU: chunk_size = {{64|128}} : i64
func.func @chunks(%q: tensor<1x4096x8x64xf32>, %k: tensor<1x4096x8x64xf32>, %v: tensor<1x4096x8x64xf32>) -> (tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>) {
  %o1 = attn.linear_attention %q, %k, %v {form = #attn.form<chunkwise>} : (tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>) -> tensor<1x4096x8x64xf32>
  %o2 = attn.linear_attention %q, %k, %v {form = #attn.form<chunkwise>, chunk_size = 100} : (tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>) -> tensor<1x4096x8x64xf32>
  %o3 = attn.linear_attention %q, %k, %v {form = #attn.form<recurrent>} : (tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>) -> tensor<1x4096x8x64xf32>
  return %o1, %o2, %o3 : tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>
}
