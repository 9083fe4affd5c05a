// The register-tiled contraction kernels (attn-cpu-vectorize-contractions)
// on ragged shapes, checked against the float64 reference: head dims that
// are not multiples of the vector width (masked last vectors, and the
// element-by-element edges of the in-register transposes that pack K), T not
// a multiple of the chunk, chunks smaller than a vector, T = 1, bf16 inputs,
// Dk != Dv.

// RUN: attn-run %s --all --check | FileCheck %s
// RUN: attn-run %s --all --check --chunk-size=8 | FileCheck %s
// RUN: attn-run %s --all --check --chunk-size=48 | FileCheck %s
// RUN: attn-run %s --all --check --target=x86-avx2 --chunk-size=24 | FileCheck %s
// CHECK-NOT: FAIL
// CHECK: @delta_ragged result #0 {{.*}} ok
// CHECK: @delta_ragged result #1 {{.*}} ok
// CHECK: @gated_bf16 result #0 {{.*}} ok
// CHECK: @linear_ragged result #0 {{.*}} ok
// CHECK: @linear_t1 result #0 {{.*}} ok
// CHECK: @softmax_ragged result #0 {{.*}} ok
// CHECK: @softmax_window_bf16 result #0 {{.*}} ok

func.func @delta_ragged(%q: tensor<1x77x3x24xf32>, %k: tensor<1x77x3x24xf32>, %v: tensor<1x77x3x40xf32>, %b: tensor<1x77x3xf32>, %g: tensor<1x77x3xf32>) -> (tensor<1x77x3x40xf32>, tensor<1x3x24x40xf32>) {
  %o, %s = attn.delta_rule %q, %k, %v, %b gate(%g) : (tensor<1x77x3x24xf32>, tensor<1x77x3x24xf32>, tensor<1x77x3x40xf32>, tensor<1x77x3xf32>, tensor<1x77x3xf32>) -> (tensor<1x77x3x40xf32>, tensor<1x3x24x40xf32>)
  return %o, %s : tensor<1x77x3x40xf32>, tensor<1x3x24x40xf32>
}

func.func @gated_bf16(%q: tensor<2x100x2x48xbf16>, %k: tensor<2x100x2x48xbf16>, %v: tensor<2x100x2x20xbf16>, %g: tensor<2x100x2xf32>) -> tensor<2x100x2x20xbf16> {
  %o = attn.gated_linear_attention %q, %k, %v, %g : (tensor<2x100x2x48xbf16>, tensor<2x100x2x48xbf16>, tensor<2x100x2x20xbf16>, tensor<2x100x2xf32>) -> tensor<2x100x2x20xbf16>
  return %o : tensor<2x100x2x20xbf16>
}

func.func @linear_ragged(%q: tensor<1x130x2x33xf32>, %k: tensor<1x130x2x33xf32>, %v: tensor<1x130x2x17xf32>) -> tensor<1x130x2x17xf32> {
  %o = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<elu_plus_one>, normalize} : (tensor<1x130x2x33xf32>, tensor<1x130x2x33xf32>, tensor<1x130x2x17xf32>) -> tensor<1x130x2x17xf32>
  return %o : tensor<1x130x2x17xf32>
}

func.func @linear_t1(%q: tensor<1x1x4x64xf32>, %k: tensor<1x1x4x64xf32>, %v: tensor<1x1x4x64xf32>) -> tensor<1x1x4x64xf32> {
  %o = attn.linear_attention %q, %k, %v {form = #attn.form<chunkwise>, chunk_size = 16} : (tensor<1x1x4x64xf32>, tensor<1x1x4x64xf32>, tensor<1x1x4x64xf32>) -> tensor<1x1x4x64xf32>
  return %o : tensor<1x1x4x64xf32>
}

func.func @softmax_ragged(%q: tensor<1x90x2x40xf32>, %k: tensor<1x90x2x40xf32>, %v: tensor<1x90x2x24xf32>) -> tensor<1x90x2x24xf32> {
  %o = attn.softmax_attention %q, %k, %v {form = #attn.form<chunkwise>} : (tensor<1x90x2x40xf32>, tensor<1x90x2x40xf32>, tensor<1x90x2x24xf32>) -> tensor<1x90x2x24xf32>
  return %o : tensor<1x90x2x24xf32>
}

func.func @softmax_window_bf16(%q: tensor<1x70x2x32xbf16>, %k: tensor<1x150x2x32xbf16>, %v: tensor<1x150x2x32xbf16>) -> tensor<1x70x2x32xbf16> {
  %o = attn.softmax_attention %q, %k, %v {window = 50 : i64, form = #attn.form<chunkwise>} : (tensor<1x70x2x32xbf16>, tensor<1x150x2x32xbf16>, tensor<1x150x2x32xbf16>) -> tensor<1x70x2x32xbf16>
  return %o : tensor<1x70x2x32xbf16>
}
