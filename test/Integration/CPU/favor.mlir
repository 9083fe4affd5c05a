// FAVOR+ (Performer) linear attention against the float64 reference:
// phi(x) = exp(W x - |x|^2 / 2) / sqrt(m) with a Gaussian projection W
// [m, Dk] (attn-run draws it from N(0, 1)), m smaller and larger than Dk,
// normalized and not, causal (every causal form) and non-causal, an initial
// state [B, H, m, Dv], grouped heads, packed sequences, bf16.
// RUN: attn-run %s --all --check | FileCheck %s
// RUN: attn-run %s --all --check --form=reference | FileCheck %s
// RUN: attn-run %s --all --check --seed=5 --pipeline="attn-to-llvm{results-to-out-params=true}" | FileCheck %s
// RUN: attn-run %s --func=causal_gqa --check --form=chunkwise --chunk-size=16 | FileCheck %s --check-prefix=CAUSAL
// RUN: attn-run %s --func=causal_gqa --check --form=recurrent | FileCheck %s --check-prefix=CAUSAL
// RUN: attn-run %s --func=causal_gqa --check --form=quadratic | FileCheck %s --check-prefix=CAUSAL
// RUN: attn-run %s --func=noncausal --check --form=reassociated | FileCheck %s --check-prefix=NONCAUSAL
// RUN: attn-run %s --func=noncausal --check --form=quadratic | FileCheck %s --check-prefix=NONCAUSAL
// CHECK-NOT: FAIL
// CHECK: @causal_gqa result #0 {{.*}} ok
// CHECK: @causal_gqa result #1 {{.*}} ok
// CHECK: @noncausal result #0 {{.*}} ok
// CHECK: @unnormalized_wide result #0 {{.*}} ok
// CHECK: @packed result #1 {{.*}} ok
// CHECK: @bf16 result #0 {{.*}} ok
// CAUSAL: @causal_gqa result #0 {{.*}} ok
// CAUSAL: @causal_gqa result #1 {{.*}} ok
// NONCAUSAL: @noncausal result #0 {{.*}} ok

func.func @causal_gqa(%q: tensor<1x100x4x16xf32>, %k: tensor<1x100x2x16xf32>, %v: tensor<1x100x2x8xf32>, %w: tensor<24x16xf32>, %s0: tensor<1x4x24x8xf32>) -> (tensor<1x100x4x8xf32>, tensor<1x4x24x8xf32>) {
  %o, %s = attn.linear_attention %q, %k, %v projection(%w) initial_state(%s0) {feature_map = #attn.feature_map<favor>, normalize} : (tensor<1x100x4x16xf32>, tensor<1x100x2x16xf32>, tensor<1x100x2x8xf32>, tensor<24x16xf32>, tensor<1x4x24x8xf32>) -> (tensor<1x100x4x8xf32>, tensor<1x4x24x8xf32>)
  return %o, %s : tensor<1x100x4x8xf32>, tensor<1x4x24x8xf32>
}

func.func @noncausal(%q: tensor<2x60x2x16xf32>, %k: tensor<2x60x2x16xf32>, %v: tensor<2x60x2x8xf32>, %w: tensor<8x16xf32>) -> tensor<2x60x2x8xf32> {
  %o = attn.linear_attention %q, %k, %v projection(%w) {feature_map = #attn.feature_map<favor>, normalize, causal = false} : (tensor<2x60x2x16xf32>, tensor<2x60x2x16xf32>, tensor<2x60x2x8xf32>, tensor<8x16xf32>) -> tensor<2x60x2x8xf32>
  return %o : tensor<2x60x2x8xf32>
}

func.func @unnormalized_wide(%q: tensor<1x40x2x8xf32>, %k: tensor<1x40x2x8xf32>, %v: tensor<1x40x2x8xf32>, %w: tensor<64x8xf32>) -> tensor<1x40x2x8xf32> {
  %o = attn.linear_attention %q, %k, %v projection(%w) {feature_map = #attn.feature_map<favor>, scale = 0.5 : f64} : (tensor<1x40x2x8xf32>, tensor<1x40x2x8xf32>, tensor<1x40x2x8xf32>, tensor<64x8xf32>) -> tensor<1x40x2x8xf32>
  return %o : tensor<1x40x2x8xf32>
}

func.func @packed(%q: tensor<1x100x2x16xf32>, %k: tensor<1x100x2x16xf32>, %v: tensor<1x100x2x8xf32>, %w: tensor<32x16xf32>, %s0: tensor<3x2x32x8xf32>, %cu: tensor<4xi32>) -> (tensor<1x100x2x8xf32>, tensor<3x2x32x8xf32>) {
  %o, %s = attn.linear_attention %q, %k, %v projection(%w) initial_state(%s0) cu_seqlens(%cu) {feature_map = #attn.feature_map<favor>, normalize} : (tensor<1x100x2x16xf32>, tensor<1x100x2x16xf32>, tensor<1x100x2x8xf32>, tensor<32x16xf32>, tensor<3x2x32x8xf32>, tensor<4xi32>) -> (tensor<1x100x2x8xf32>, tensor<3x2x32x8xf32>)
  return %o, %s : tensor<1x100x2x8xf32>, tensor<3x2x32x8xf32>
}

func.func @bf16(%q: tensor<1x50x2x16xbf16>, %k: tensor<1x50x2x16xbf16>, %v: tensor<1x50x2x8xbf16>, %w: tensor<32x16xbf16>) -> tensor<1x50x2x8xbf16> {
  %o = attn.linear_attention %q, %k, %v projection(%w) {feature_map = #attn.feature_map<favor>, normalize} : (tensor<1x50x2x16xbf16>, tensor<1x50x2x16xbf16>, tensor<1x50x2x8xbf16>, tensor<32x16xbf16>) -> tensor<1x50x2x8xbf16>
  return %o : tensor<1x50x2x8xbf16>
}
