// Serving features against the float64 reference: grouped-query attention
// (Hq = 8 Hkv and Hq = 2 Hkv) for every op family, sliding-window softmax
// (window smaller than T, larger than T, window = 1, decode against a KV
// cache), through the cost model's forms, forced forms, the single-threaded
// pipeline and the exact reference.
// RUN: attn-run %s --all --check | FileCheck %s
// RUN: attn-run %s --all --check --pipeline="attn-to-llvm{results-to-out-params=true}" | FileCheck %s
// RUN: attn-run %s --all --check --form=reference | FileCheck %s
// RUN: attn-run %s --all --check --gate=strong | FileCheck %s
// CHECK-NOT: FAIL
// CHECK: @softmax_mqa result #0 {{.*}} ok
// CHECK: @softmax_window_tiled result #0 {{.*}} ok
// CHECK: @softmax_window_quadratic result #0 {{.*}} ok
// CHECK: @softmax_window_wider_than_t result #0 {{.*}} ok
// CHECK: @softmax_window_one result #0 {{.*}} ok
// CHECK: @decode_window_gqa result #0 {{.*}} ok
// CHECK: @linear_gqa result #1 {{.*}} ok
// CHECK: @gated_vector_gqa result #1 {{.*}} ok
// CHECK: @delta_gqa result #1 {{.*}} ok

func.func @softmax_mqa(%q: tensor<1x64x8x16xf32>, %k: tensor<1x64x1x16xf32>, %v: tensor<1x64x1x8xf32>) -> tensor<1x64x8x8xf32> {
  %o = attn.softmax_attention %q, %k, %v : (tensor<1x64x8x16xf32>, tensor<1x64x1x16xf32>, tensor<1x64x1x8xf32>) -> tensor<1x64x8x8xf32>
  return %o : tensor<1x64x8x8xf32>
}

func.func @softmax_window_tiled(%q: tensor<2x100x4x16xf32>, %k: tensor<2x100x2x16xf32>, %v: tensor<2x100x2x16xf32>) -> tensor<2x100x4x16xf32> {
  %o = attn.softmax_attention %q, %k, %v {window = 24, form = #attn.form<chunkwise>, chunk_size = 16} : (tensor<2x100x4x16xf32>, tensor<2x100x2x16xf32>, tensor<2x100x2x16xf32>) -> tensor<2x100x4x16xf32>
  return %o : tensor<2x100x4x16xf32>
}

func.func @softmax_window_quadratic(%q: tensor<1x100x2x16xf32>, %k: tensor<1x100x2x16xf32>, %v: tensor<1x100x2x16xf32>) -> tensor<1x100x2x16xf32> {
  %o = attn.softmax_attention %q, %k, %v {window = 7, form = #attn.form<quadratic>} : (tensor<1x100x2x16xf32>, tensor<1x100x2x16xf32>, tensor<1x100x2x16xf32>) -> tensor<1x100x2x16xf32>
  return %o : tensor<1x100x2x16xf32>
}

func.func @softmax_window_wider_than_t(%q: tensor<1x40x2x16xf32>, %k: tensor<1x40x2x16xf32>, %v: tensor<1x40x2x16xf32>) -> tensor<1x40x2x16xf32> {
  %o = attn.softmax_attention %q, %k, %v {window = 1000, form = #attn.form<chunkwise>, chunk_size = 16} : (tensor<1x40x2x16xf32>, tensor<1x40x2x16xf32>, tensor<1x40x2x16xf32>) -> tensor<1x40x2x16xf32>
  return %o : tensor<1x40x2x16xf32>
}

func.func @softmax_window_one(%q: tensor<1x40x2x16xf32>, %k: tensor<1x40x2x16xf32>, %v: tensor<1x40x2x16xf32>) -> tensor<1x40x2x16xf32> {
  %o = attn.softmax_attention %q, %k, %v {window = 1, form = #attn.form<chunkwise>, chunk_size = 16} : (tensor<1x40x2x16xf32>, tensor<1x40x2x16xf32>, tensor<1x40x2x16xf32>) -> tensor<1x40x2x16xf32>
  return %o : tensor<1x40x2x16xf32>
}

func.func @decode_window_gqa(%q: tensor<4x1x8x32xf32>, %k: tensor<4x300x2x32xf32>, %v: tensor<4x300x2x32xf32>) -> tensor<4x1x8x32xf32> {
  %o = attn.softmax_attention %q, %k, %v {window = 128} : (tensor<4x1x8x32xf32>, tensor<4x300x2x32xf32>, tensor<4x300x2x32xf32>) -> tensor<4x1x8x32xf32>
  return %o : tensor<4x1x8x32xf32>
}

func.func @linear_gqa(%q: tensor<1x50x8x16xf32>, %k: tensor<1x50x4x16xf32>, %v: tensor<1x50x4x8xf32>, %s0: tensor<1x8x16x8xf32>) -> (tensor<1x50x8x8xf32>, tensor<1x8x16x8xf32>) {
  %o, %s = attn.linear_attention %q, %k, %v initial_state(%s0) {feature_map = #attn.feature_map<elu_plus_one>, normalize} : (tensor<1x50x8x16xf32>, tensor<1x50x4x16xf32>, tensor<1x50x4x8xf32>, tensor<1x8x16x8xf32>) -> (tensor<1x50x8x8xf32>, tensor<1x8x16x8xf32>)
  return %o, %s : tensor<1x50x8x8xf32>, tensor<1x8x16x8xf32>
}

func.func @gated_vector_gqa(%q: tensor<1x70x4x16xf32>, %k: tensor<1x70x2x16xf32>, %v: tensor<1x70x2x8xf32>, %g: tensor<1x70x4x16xf32>) -> (tensor<1x70x4x8xf32>, tensor<1x4x16x8xf32>) {
  %o, %s = attn.gated_linear_attention %q, %k, %v, %g {form = #attn.form<chunkwise>, chunk_size = 32} : (tensor<1x70x4x16xf32>, tensor<1x70x2x16xf32>, tensor<1x70x2x8xf32>, tensor<1x70x4x16xf32>) -> (tensor<1x70x4x8xf32>, tensor<1x4x16x8xf32>)
  return %o, %s : tensor<1x70x4x8xf32>, tensor<1x4x16x8xf32>
}

func.func @delta_gqa(%q: tensor<2x70x4x16xf32>, %k: tensor<2x70x1x16xf32>, %v: tensor<2x70x1x16xf32>, %b: tensor<2x70x4xf32>, %g: tensor<2x70x4xf32>) -> (tensor<2x70x4x16xf32>, tensor<2x4x16x16xf32>) {
  %o, %s = attn.delta_rule %q, %k, %v, %b gate(%g) : (tensor<2x70x4x16xf32>, tensor<2x70x1x16xf32>, tensor<2x70x1x16xf32>, tensor<2x70x4xf32>, tensor<2x70x4xf32>) -> (tensor<2x70x4x16xf32>, tensor<2x4x16x16xf32>)
  return %o, %s : tensor<2x70x4x16xf32>, tensor<2x4x16x16xf32>
}
