// Linear attention through the reference pipeline, checked against the float64
// reference: each feature map, normalize, non-causal, initial and final state,
// T = 1 and 1000, D = 64 and 128, bf16 and f16.

// RUN: attn-run %s --func=identity_t1 --form=reference --check --tolerance=1e-5 | FileCheck %s --check-prefix=IDENTITY_T1
// RUN: attn-run %s --func=identity_t7_state --form=reference --check --tolerance=1e-5 | FileCheck %s --check-prefix=IDENTITY_T7_STATE
// RUN: attn-run %s --func=elu_d64_t100 --form=reference --check --tolerance=1e-5 | FileCheck %s --check-prefix=ELU_D64_T100
// RUN: attn-run %s --func=relu_d128_t64 --form=reference --check --tolerance=1e-5 | FileCheck %s --check-prefix=RELU_D128_T64
// RUN: attn-run %s --func=normalized_elu_t100 --form=reference --check --tolerance=1e-5 | FileCheck %s --check-prefix=NORMALIZED_ELU_T100
// RUN: attn-run %s --func=noncausal_t7 --form=reference --check --tolerance=1e-5 | FileCheck %s --check-prefix=NONCAUSAL_T7
// RUN: attn-run %s --func=noncausal_normalized_relu --form=reference --check --tolerance=1e-5 | FileCheck %s --check-prefix=NONCAUSAL_NORMALIZED_RELU
// RUN: attn-run %s --func=identity_t1000 --form=reference --check --tolerance=1e-5 | FileCheck %s --check-prefix=IDENTITY_T1000
// RUN: attn-run %s --func=identity_bf16 --form=reference --check | FileCheck %s --check-prefix=IDENTITY_BF16
// RUN: attn-run %s --func=identity_f16 --form=reference --check | FileCheck %s --check-prefix=IDENTITY_F16
// The same functions through the forms the cost model picks (attn-to-llvm):
// RUN: attn-run %s --all --check | FileCheck %s --check-prefix=AUTO
// AUTO-NOT: FAIL
// AUTO: ok

// IDENTITY_T1: @identity_t1 result #0 {{.*}} ok
// IDENTITY_T1: @identity_t1 result #1 {{.*}} ok
func.func @identity_t1(%q: tensor<1x1x2x16xf32>, %k: tensor<1x1x2x16xf32>, %v: tensor<1x1x2x16xf32>) -> (tensor<1x1x2x16xf32>, tensor<1x2x16x16xf32>) {
  %r0, %r1 = attn.linear_attention %q, %k, %v : (tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>) -> (tensor<1x1x2x16xf32>, tensor<1x2x16x16xf32>)
  return %r0, %r1 : tensor<1x1x2x16xf32>, tensor<1x2x16x16xf32>
}

// IDENTITY_T7_STATE: @identity_t7_state result #0 {{.*}} ok
// IDENTITY_T7_STATE: @identity_t7_state result #1 {{.*}} ok
func.func @identity_t7_state(%q: tensor<2x7x2x16xf32>, %k: tensor<2x7x2x16xf32>, %v: tensor<2x7x2x8xf32>, %s0: tensor<2x2x16x8xf32>) -> (tensor<2x7x2x8xf32>, tensor<2x2x16x8xf32>) {
  %r0, %r1 = attn.linear_attention %q, %k, %v initial_state(%s0) : (tensor<2x7x2x16xf32>, tensor<2x7x2x16xf32>, tensor<2x7x2x8xf32>, tensor<2x2x16x8xf32>) -> (tensor<2x7x2x8xf32>, tensor<2x2x16x8xf32>)
  return %r0, %r1 : tensor<2x7x2x8xf32>, tensor<2x2x16x8xf32>
}

// ELU_D64_T100: @elu_d64_t100 result #0 {{.*}} ok
func.func @elu_d64_t100(%q: tensor<1x100x2x64xf32>, %k: tensor<1x100x2x64xf32>, %v: tensor<1x100x2x64xf32>) -> tensor<1x100x2x64xf32> {
  %r0 = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<elu_plus_one>} : (tensor<1x100x2x64xf32>, tensor<1x100x2x64xf32>, tensor<1x100x2x64xf32>) -> tensor<1x100x2x64xf32>
  return %r0 : tensor<1x100x2x64xf32>
}

// RELU_D128_T64: @relu_d128_t64 result #0 {{.*}} ok
// RELU_D128_T64: @relu_d128_t64 result #1 {{.*}} ok
func.func @relu_d128_t64(%q: tensor<1x64x2x128xf32>, %k: tensor<1x64x2x128xf32>, %v: tensor<1x64x2x128xf32>) -> (tensor<1x64x2x128xf32>, tensor<1x2x128x128xf32>) {
  %r0, %r1 = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<relu>} : (tensor<1x64x2x128xf32>, tensor<1x64x2x128xf32>, tensor<1x64x2x128xf32>) -> (tensor<1x64x2x128xf32>, tensor<1x2x128x128xf32>)
  return %r0, %r1 : tensor<1x64x2x128xf32>, tensor<1x2x128x128xf32>
}

// NORMALIZED_ELU_T100: @normalized_elu_t100 result #0 {{.*}} ok
// NORMALIZED_ELU_T100: @normalized_elu_t100 result #1 {{.*}} ok
func.func @normalized_elu_t100(%q: tensor<1x100x2x32xf32>, %k: tensor<1x100x2x32xf32>, %v: tensor<1x100x2x32xf32>, %s0: tensor<1x2x32x32xf32>) -> (tensor<1x100x2x32xf32>, tensor<1x2x32x32xf32>) {
  %r0, %r1 = attn.linear_attention %q, %k, %v initial_state(%s0) {feature_map = #attn.feature_map<elu_plus_one>, normalize} : (tensor<1x100x2x32xf32>, tensor<1x100x2x32xf32>, tensor<1x100x2x32xf32>, tensor<1x2x32x32xf32>) -> (tensor<1x100x2x32xf32>, tensor<1x2x32x32xf32>)
  return %r0, %r1 : tensor<1x100x2x32xf32>, tensor<1x2x32x32xf32>
}

// NONCAUSAL_T7: @noncausal_t7 result #0 {{.*}} ok
// NONCAUSAL_T7: @noncausal_t7 result #1 {{.*}} ok
func.func @noncausal_t7(%q: tensor<2x7x2x16xf32>, %k: tensor<2x7x2x16xf32>, %v: tensor<2x7x2x8xf32>, %s0: tensor<2x2x16x8xf32>) -> (tensor<2x7x2x8xf32>, tensor<2x2x16x8xf32>) {
  %r0, %r1 = attn.linear_attention %q, %k, %v initial_state(%s0) {causal = false} : (tensor<2x7x2x16xf32>, tensor<2x7x2x16xf32>, tensor<2x7x2x8xf32>, tensor<2x2x16x8xf32>) -> (tensor<2x7x2x8xf32>, tensor<2x2x16x8xf32>)
  return %r0, %r1 : tensor<2x7x2x8xf32>, tensor<2x2x16x8xf32>
}

// NONCAUSAL_NORMALIZED_RELU: @noncausal_normalized_relu result #0 {{.*}} ok
func.func @noncausal_normalized_relu(%q: tensor<1x50x2x32xf32>, %k: tensor<1x50x2x32xf32>, %v: tensor<1x50x2x32xf32>) -> tensor<1x50x2x32xf32> {
  %r0 = attn.linear_attention %q, %k, %v {causal = false, feature_map = #attn.feature_map<elu_plus_one>, normalize} : (tensor<1x50x2x32xf32>, tensor<1x50x2x32xf32>, tensor<1x50x2x32xf32>) -> tensor<1x50x2x32xf32>
  return %r0 : tensor<1x50x2x32xf32>
}

// IDENTITY_T1000: @identity_t1000 result #0 {{.*}} ok
// IDENTITY_T1000: @identity_t1000 result #1 {{.*}} ok
func.func @identity_t1000(%q: tensor<1x1000x1x32xf32>, %k: tensor<1x1000x1x32xf32>, %v: tensor<1x1000x1x32xf32>) -> (tensor<1x1000x1x32xf32>, tensor<1x1x32x32xf32>) {
  %r0, %r1 = attn.linear_attention %q, %k, %v : (tensor<1x1000x1x32xf32>, tensor<1x1000x1x32xf32>, tensor<1x1000x1x32xf32>) -> (tensor<1x1000x1x32xf32>, tensor<1x1x32x32xf32>)
  return %r0, %r1 : tensor<1x1000x1x32xf32>, tensor<1x1x32x32xf32>
}

// IDENTITY_BF16: @identity_bf16 result #0 {{.*}} ok
// IDENTITY_BF16: @identity_bf16 result #1 {{.*}} ok
func.func @identity_bf16(%q: tensor<1x100x2x64xbf16>, %k: tensor<1x100x2x64xbf16>, %v: tensor<1x100x2x64xbf16>) -> (tensor<1x100x2x64xbf16>, tensor<1x2x64x64xf32>) {
  %r0, %r1 = attn.linear_attention %q, %k, %v : (tensor<1x100x2x64xbf16>, tensor<1x100x2x64xbf16>, tensor<1x100x2x64xbf16>) -> (tensor<1x100x2x64xbf16>, tensor<1x2x64x64xf32>)
  return %r0, %r1 : tensor<1x100x2x64xbf16>, tensor<1x2x64x64xf32>
}

// IDENTITY_F16: @identity_f16 result #0 {{.*}} ok
func.func @identity_f16(%q: tensor<1x40x2x64xf16>, %k: tensor<1x40x2x64xf16>, %v: tensor<1x40x2x64xf16>) -> tensor<1x40x2x64xf16> {
  %r0 = attn.linear_attention %q, %k, %v : (tensor<1x40x2x64xf16>, tensor<1x40x2x64xf16>, tensor<1x40x2x64xf16>) -> tensor<1x40x2x64xf16>
  return %r0 : tensor<1x40x2x64xf16>
}
