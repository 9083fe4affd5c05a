// Softmax attention through the reference pipeline, checked against the
// float64 reference: causal and full, T = 1, T not a power of two, D = 64 and
// 128, Tq < Tk (decode), bf16 and f16.

// RUN: attn-run %s --func=causal_t1 --form=reference --check --tolerance=1e-5 | FileCheck %s --check-prefix=CAUSAL_T1
// RUN: attn-run %s --func=causal_t7 --form=reference --check --tolerance=1e-5 | FileCheck %s --check-prefix=CAUSAL_T7
// RUN: attn-run %s --func=full_t7 --form=reference --check --tolerance=1e-5 | FileCheck %s --check-prefix=FULL_T7
// RUN: attn-run %s --func=causal_d64 --form=reference --check --tolerance=1e-5 | FileCheck %s --check-prefix=CAUSAL_D64
// RUN: attn-run %s --func=causal_d128 --form=reference --check --tolerance=1e-5 | FileCheck %s --check-prefix=CAUSAL_D128
// RUN: attn-run %s --func=decode_tq3_tk50 --form=reference --check --tolerance=1e-5 | FileCheck %s --check-prefix=DECODE_TQ3_TK50
// RUN: attn-run %s --func=full_cross_tq5_tk9 --form=reference --check --tolerance=1e-5 | FileCheck %s --check-prefix=FULL_CROSS_TQ5_TK9
// RUN: attn-run %s --func=causal_bf16 --form=reference --check | FileCheck %s --check-prefix=CAUSAL_BF16
// RUN: attn-run %s --func=causal_f16 --form=reference --check | FileCheck %s --check-prefix=CAUSAL_F16
// RUN: attn-run %s --func=scaled_t10 --form=reference --check --tolerance=1e-5 | FileCheck %s --check-prefix=SCALED_T10
// The same functions through the forms the cost model picks (attn-to-llvm):
// RUN: attn-run %s --all --check | FileCheck %s --check-prefix=AUTO
// AUTO-NOT: FAIL
// AUTO: ok

// CAUSAL_T1: @causal_t1 result #0 {{.*}} ok
func.func @causal_t1(%q: tensor<1x1x2x16xf32>, %k: tensor<1x1x2x16xf32>, %v: tensor<1x1x2x16xf32>) -> tensor<1x1x2x16xf32> {
  %r0 = attn.softmax_attention %q, %k, %v : (tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>) -> tensor<1x1x2x16xf32>
  return %r0 : tensor<1x1x2x16xf32>
}

// CAUSAL_T7: @causal_t7 result #0 {{.*}} ok
func.func @causal_t7(%q: tensor<2x7x2x16xf32>, %k: tensor<2x7x2x16xf32>, %v: tensor<2x7x2x8xf32>) -> tensor<2x7x2x8xf32> {
  %r0 = attn.softmax_attention %q, %k, %v : (tensor<2x7x2x16xf32>, tensor<2x7x2x16xf32>, tensor<2x7x2x8xf32>) -> tensor<2x7x2x8xf32>
  return %r0 : tensor<2x7x2x8xf32>
}

// FULL_T7: @full_t7 result #0 {{.*}} ok
func.func @full_t7(%q: tensor<2x7x2x16xf32>, %k: tensor<2x7x2x16xf32>, %v: tensor<2x7x2x8xf32>) -> tensor<2x7x2x8xf32> {
  %r0 = attn.softmax_attention %q, %k, %v {causal = false} : (tensor<2x7x2x16xf32>, tensor<2x7x2x16xf32>, tensor<2x7x2x8xf32>) -> tensor<2x7x2x8xf32>
  return %r0 : tensor<2x7x2x8xf32>
}

// CAUSAL_D64: @causal_d64 result #0 {{.*}} ok
func.func @causal_d64(%q: tensor<1x100x2x64xf32>, %k: tensor<1x100x2x64xf32>, %v: tensor<1x100x2x64xf32>) -> tensor<1x100x2x64xf32> {
  %r0 = attn.softmax_attention %q, %k, %v : (tensor<1x100x2x64xf32>, tensor<1x100x2x64xf32>, tensor<1x100x2x64xf32>) -> tensor<1x100x2x64xf32>
  return %r0 : tensor<1x100x2x64xf32>
}

// CAUSAL_D128: @causal_d128 result #0 {{.*}} ok
func.func @causal_d128(%q: tensor<1x64x2x128xf32>, %k: tensor<1x64x2x128xf32>, %v: tensor<1x64x2x128xf32>) -> tensor<1x64x2x128xf32> {
  %r0 = attn.softmax_attention %q, %k, %v : (tensor<1x64x2x128xf32>, tensor<1x64x2x128xf32>, tensor<1x64x2x128xf32>) -> tensor<1x64x2x128xf32>
  return %r0 : tensor<1x64x2x128xf32>
}

// DECODE_TQ3_TK50: @decode_tq3_tk50 result #0 {{.*}} ok
func.func @decode_tq3_tk50(%q: tensor<1x3x2x32xf32>, %k: tensor<1x50x2x32xf32>, %v: tensor<1x50x2x32xf32>) -> tensor<1x3x2x32xf32> {
  %r0 = attn.softmax_attention %q, %k, %v : (tensor<1x3x2x32xf32>, tensor<1x50x2x32xf32>, tensor<1x50x2x32xf32>) -> tensor<1x3x2x32xf32>
  return %r0 : tensor<1x3x2x32xf32>
}

// FULL_CROSS_TQ5_TK9: @full_cross_tq5_tk9 result #0 {{.*}} ok
func.func @full_cross_tq5_tk9(%q: tensor<1x5x2x16xf32>, %k: tensor<1x9x2x16xf32>, %v: tensor<1x9x2x16xf32>) -> tensor<1x5x2x16xf32> {
  %r0 = attn.softmax_attention %q, %k, %v {causal = false} : (tensor<1x5x2x16xf32>, tensor<1x9x2x16xf32>, tensor<1x9x2x16xf32>) -> tensor<1x5x2x16xf32>
  return %r0 : tensor<1x5x2x16xf32>
}

// CAUSAL_BF16: @causal_bf16 result #0 {{.*}} ok
func.func @causal_bf16(%q: tensor<1x100x2x64xbf16>, %k: tensor<1x100x2x64xbf16>, %v: tensor<1x100x2x64xbf16>) -> tensor<1x100x2x64xbf16> {
  %r0 = attn.softmax_attention %q, %k, %v : (tensor<1x100x2x64xbf16>, tensor<1x100x2x64xbf16>, tensor<1x100x2x64xbf16>) -> tensor<1x100x2x64xbf16>
  return %r0 : tensor<1x100x2x64xbf16>
}

// CAUSAL_F16: @causal_f16 result #0 {{.*}} ok
func.func @causal_f16(%q: tensor<1x33x2x64xf16>, %k: tensor<1x33x2x64xf16>, %v: tensor<1x33x2x64xf16>) -> tensor<1x33x2x64xf16> {
  %r0 = attn.softmax_attention %q, %k, %v : (tensor<1x33x2x64xf16>, tensor<1x33x2x64xf16>, tensor<1x33x2x64xf16>) -> tensor<1x33x2x64xf16>
  return %r0 : tensor<1x33x2x64xf16>
}

// SCALED_T10: @scaled_t10 result #0 {{.*}} ok
func.func @scaled_t10(%q: tensor<1x10x2x16xf32>, %k: tensor<1x10x2x16xf32>, %v: tensor<1x10x2x16xf32>) -> tensor<1x10x2x16xf32> {
  %r0 = attn.softmax_attention %q, %k, %v {scale = 2.5 : f64} : (tensor<1x10x2x16xf32>, tensor<1x10x2x16xf32>, tensor<1x10x2x16xf32>) -> tensor<1x10x2x16xf32>
  return %r0 : tensor<1x10x2x16xf32>
}
