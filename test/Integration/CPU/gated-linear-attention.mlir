// Gated linear attention (scalar and vector log-decay gates) through the
// reference pipeline, checked against the float64 reference: weak and strong
// gates, initial and final state, T = 1 and 1000, D = 64 and 128, bf16, f16.

// RUN: attn-run %s --func=scalar_t1 --form=reference --check --tolerance=1e-5 | FileCheck %s --check-prefix=SCALAR_T1
// RUN: attn-run %s --func=scalar_t7_state --form=reference --check --tolerance=1e-5 | FileCheck %s --check-prefix=SCALAR_T7_STATE
// RUN: attn-run %s --func=scalar_d64_t100 --form=reference --check --tolerance=1e-5 | FileCheck %s --check-prefix=SCALAR_D64_T100
// RUN: attn-run %s --func=scalar_strong_t100 --form=reference --check --tolerance=1e-5 --gate=strong | FileCheck %s --check-prefix=SCALAR_STRONG_T100
// RUN: attn-run %s --func=vector_t7_state --form=reference --check --tolerance=1e-5 | FileCheck %s --check-prefix=VECTOR_T7_STATE
// RUN: attn-run %s --func=vector_d128_t64 --form=reference --check --tolerance=1e-5 | FileCheck %s --check-prefix=VECTOR_D128_T64
// RUN: attn-run %s --func=vector_strong_t100 --form=reference --check --tolerance=1e-5 --gate=strong | FileCheck %s --check-prefix=VECTOR_STRONG_T100
// RUN: attn-run %s --func=scalar_t1000 --form=reference --check --tolerance=1e-5 | FileCheck %s --check-prefix=SCALAR_T1000
// RUN: attn-run %s --func=vector_bf16 --form=reference --check | FileCheck %s --check-prefix=VECTOR_BF16
// RUN: attn-run %s --func=scalar_f16_gate_f16 --form=reference --check | FileCheck %s --check-prefix=SCALAR_F16_GATE_F16
// The same functions through the forms the cost model picks (attn-to-llvm):
// RUN: attn-run %s --all --check | FileCheck %s --check-prefix=AUTO
// AUTO-NOT: FAIL
// AUTO: ok

// SCALAR_T1: @scalar_t1 result #0 {{.*}} ok
// SCALAR_T1: @scalar_t1 result #1 {{.*}} ok
func.func @scalar_t1(%q: tensor<1x1x2x16xf32>, %k: tensor<1x1x2x16xf32>, %v: tensor<1x1x2x16xf32>, %g: tensor<1x1x2xf32>) -> (tensor<1x1x2x16xf32>, tensor<1x2x16x16xf32>) {
  %r0, %r1 = attn.gated_linear_attention %q, %k, %v, %g : (tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2xf32>) -> (tensor<1x1x2x16xf32>, tensor<1x2x16x16xf32>)
  return %r0, %r1 : tensor<1x1x2x16xf32>, tensor<1x2x16x16xf32>
}

// SCALAR_T7_STATE: @scalar_t7_state result #0 {{.*}} ok
// SCALAR_T7_STATE: @scalar_t7_state result #1 {{.*}} ok
func.func @scalar_t7_state(%q: tensor<2x7x2x16xf32>, %k: tensor<2x7x2x16xf32>, %v: tensor<2x7x2x8xf32>, %g: tensor<2x7x2xf32>, %s0: tensor<2x2x16x8xf32>) -> (tensor<2x7x2x8xf32>, tensor<2x2x16x8xf32>) {
  %r0, %r1 = attn.gated_linear_attention %q, %k, %v, %g initial_state(%s0) : (tensor<2x7x2x16xf32>, tensor<2x7x2x16xf32>, tensor<2x7x2x8xf32>, tensor<2x7x2xf32>, tensor<2x2x16x8xf32>) -> (tensor<2x7x2x8xf32>, tensor<2x2x16x8xf32>)
  return %r0, %r1 : tensor<2x7x2x8xf32>, tensor<2x2x16x8xf32>
}

// SCALAR_D64_T100: @scalar_d64_t100 result #0 {{.*}} ok
// SCALAR_D64_T100: @scalar_d64_t100 result #1 {{.*}} ok
func.func @scalar_d64_t100(%q: tensor<1x100x2x64xf32>, %k: tensor<1x100x2x64xf32>, %v: tensor<1x100x2x64xf32>, %g: tensor<1x100x2xf32>) -> (tensor<1x100x2x64xf32>, tensor<1x2x64x64xf32>) {
  %r0, %r1 = attn.gated_linear_attention %q, %k, %v, %g : (tensor<1x100x2x64xf32>, tensor<1x100x2x64xf32>, tensor<1x100x2x64xf32>, tensor<1x100x2xf32>) -> (tensor<1x100x2x64xf32>, tensor<1x2x64x64xf32>)
  return %r0, %r1 : tensor<1x100x2x64xf32>, tensor<1x2x64x64xf32>
}

// SCALAR_STRONG_T100: @scalar_strong_t100 result #0 {{.*}} ok
// SCALAR_STRONG_T100: @scalar_strong_t100 result #1 {{.*}} ok
func.func @scalar_strong_t100(%q: tensor<1x100x2x64xf32>, %k: tensor<1x100x2x64xf32>, %v: tensor<1x100x2x64xf32>, %g: tensor<1x100x2xf32>) -> (tensor<1x100x2x64xf32>, tensor<1x2x64x64xf32>) {
  %r0, %r1 = attn.gated_linear_attention %q, %k, %v, %g : (tensor<1x100x2x64xf32>, tensor<1x100x2x64xf32>, tensor<1x100x2x64xf32>, tensor<1x100x2xf32>) -> (tensor<1x100x2x64xf32>, tensor<1x2x64x64xf32>)
  return %r0, %r1 : tensor<1x100x2x64xf32>, tensor<1x2x64x64xf32>
}

// VECTOR_T7_STATE: @vector_t7_state result #0 {{.*}} ok
// VECTOR_T7_STATE: @vector_t7_state result #1 {{.*}} ok
func.func @vector_t7_state(%q: tensor<2x7x2x16xf32>, %k: tensor<2x7x2x16xf32>, %v: tensor<2x7x2x8xf32>, %g: tensor<2x7x2x16xf32>, %s0: tensor<2x2x16x8xf32>) -> (tensor<2x7x2x8xf32>, tensor<2x2x16x8xf32>) {
  %r0, %r1 = attn.gated_linear_attention %q, %k, %v, %g initial_state(%s0) : (tensor<2x7x2x16xf32>, tensor<2x7x2x16xf32>, tensor<2x7x2x8xf32>, tensor<2x7x2x16xf32>, tensor<2x2x16x8xf32>) -> (tensor<2x7x2x8xf32>, tensor<2x2x16x8xf32>)
  return %r0, %r1 : tensor<2x7x2x8xf32>, tensor<2x2x16x8xf32>
}

// VECTOR_D128_T64: @vector_d128_t64 result #0 {{.*}} ok
// VECTOR_D128_T64: @vector_d128_t64 result #1 {{.*}} ok
func.func @vector_d128_t64(%q: tensor<1x64x2x128xf32>, %k: tensor<1x64x2x128xf32>, %v: tensor<1x64x2x128xf32>, %g: tensor<1x64x2x128xf32>) -> (tensor<1x64x2x128xf32>, tensor<1x2x128x128xf32>) {
  %r0, %r1 = attn.gated_linear_attention %q, %k, %v, %g : (tensor<1x64x2x128xf32>, tensor<1x64x2x128xf32>, tensor<1x64x2x128xf32>, tensor<1x64x2x128xf32>) -> (tensor<1x64x2x128xf32>, tensor<1x2x128x128xf32>)
  return %r0, %r1 : tensor<1x64x2x128xf32>, tensor<1x2x128x128xf32>
}

// VECTOR_STRONG_T100: @vector_strong_t100 result #0 {{.*}} ok
// VECTOR_STRONG_T100: @vector_strong_t100 result #1 {{.*}} ok
func.func @vector_strong_t100(%q: tensor<1x100x2x32xf32>, %k: tensor<1x100x2x32xf32>, %v: tensor<1x100x2x32xf32>, %g: tensor<1x100x2x32xf32>) -> (tensor<1x100x2x32xf32>, tensor<1x2x32x32xf32>) {
  %r0, %r1 = attn.gated_linear_attention %q, %k, %v, %g : (tensor<1x100x2x32xf32>, tensor<1x100x2x32xf32>, tensor<1x100x2x32xf32>, tensor<1x100x2x32xf32>) -> (tensor<1x100x2x32xf32>, tensor<1x2x32x32xf32>)
  return %r0, %r1 : tensor<1x100x2x32xf32>, tensor<1x2x32x32xf32>
}

// SCALAR_T1000: @scalar_t1000 result #0 {{.*}} ok
// SCALAR_T1000: @scalar_t1000 result #1 {{.*}} ok
func.func @scalar_t1000(%q: tensor<1x1000x1x32xf32>, %k: tensor<1x1000x1x32xf32>, %v: tensor<1x1000x1x32xf32>, %g: tensor<1x1000x1xf32>) -> (tensor<1x1000x1x32xf32>, tensor<1x1x32x32xf32>) {
  %r0, %r1 = attn.gated_linear_attention %q, %k, %v, %g : (tensor<1x1000x1x32xf32>, tensor<1x1000x1x32xf32>, tensor<1x1000x1x32xf32>, tensor<1x1000x1xf32>) -> (tensor<1x1000x1x32xf32>, tensor<1x1x32x32xf32>)
  return %r0, %r1 : tensor<1x1000x1x32xf32>, tensor<1x1x32x32xf32>
}

// VECTOR_BF16: @vector_bf16 result #0 {{.*}} ok
// VECTOR_BF16: @vector_bf16 result #1 {{.*}} ok
func.func @vector_bf16(%q: tensor<1x100x2x64xbf16>, %k: tensor<1x100x2x64xbf16>, %v: tensor<1x100x2x64xbf16>, %g: tensor<1x100x2x64xf32>) -> (tensor<1x100x2x64xbf16>, tensor<1x2x64x64xf32>) {
  %r0, %r1 = attn.gated_linear_attention %q, %k, %v, %g : (tensor<1x100x2x64xbf16>, tensor<1x100x2x64xbf16>, tensor<1x100x2x64xbf16>, tensor<1x100x2x64xf32>) -> (tensor<1x100x2x64xbf16>, tensor<1x2x64x64xf32>)
  return %r0, %r1 : tensor<1x100x2x64xbf16>, tensor<1x2x64x64xf32>
}

// SCALAR_F16_GATE_F16: @scalar_f16_gate_f16 result #0 {{.*}} ok
func.func @scalar_f16_gate_f16(%q: tensor<1x40x2x64xf16>, %k: tensor<1x40x2x64xf16>, %v: tensor<1x40x2x64xf16>, %g: tensor<1x40x2xf16>) -> tensor<1x40x2x64xf16> {
  %r0 = attn.gated_linear_attention %q, %k, %v, %g : (tensor<1x40x2x64xf16>, tensor<1x40x2x64xf16>, tensor<1x40x2x64xf16>, tensor<1x40x2xf16>) -> tensor<1x40x2x64xf16>
  return %r0 : tensor<1x40x2x64xf16>
}
