// The delta rule and the gated delta rule through the reference pipeline,
// checked against the float64 reference: weak and strong gates, initial and
// final state, T = 1 and 1000, D = 64 and 128, bf16 and f16.

// RUN: attn-run %s --func=plain_t1 --form=reference --check --tolerance=1e-5 | FileCheck %s --check-prefix=PLAIN_T1
// RUN: attn-run %s --func=plain_t7_state --form=reference --check --tolerance=1e-5 | FileCheck %s --check-prefix=PLAIN_T7_STATE
// RUN: attn-run %s --func=plain_d64_t100 --form=reference --check --tolerance=1e-5 | FileCheck %s --check-prefix=PLAIN_D64_T100
// RUN: attn-run %s --func=plain_d128_t64 --form=reference --check --tolerance=1e-5 | FileCheck %s --check-prefix=PLAIN_D128_T64
// RUN: attn-run %s --func=gated_t7_state --form=reference --check --tolerance=1e-5 | FileCheck %s --check-prefix=GATED_T7_STATE
// RUN: attn-run %s --func=gated_d64_t100 --form=reference --check --tolerance=1e-5 | FileCheck %s --check-prefix=GATED_D64_T100
// RUN: attn-run %s --func=gated_strong_t100 --form=reference --check --tolerance=1e-5 --gate=strong | FileCheck %s --check-prefix=GATED_STRONG_T100
// RUN: attn-run %s --func=gated_t1000 --form=reference --check --tolerance=1e-5 | FileCheck %s --check-prefix=GATED_T1000
// RUN: attn-run %s --func=gated_bf16 --form=reference --check | FileCheck %s --check-prefix=GATED_BF16
// RUN: attn-run %s --func=plain_f16 --form=reference --check | FileCheck %s --check-prefix=PLAIN_F16
// The same functions through the forms the cost model picks (attn-to-llvm):
// RUN: attn-run %s --all --check | FileCheck %s --check-prefix=AUTO
// AUTO-NOT: FAIL
// AUTO: ok

// PLAIN_T1: @plain_t1 result #0 {{.*}} ok
// PLAIN_T1: @plain_t1 result #1 {{.*}} ok
func.func @plain_t1(%q: tensor<1x1x2x16xf32>, %k: tensor<1x1x2x16xf32>, %v: tensor<1x1x2x16xf32>, %beta: tensor<1x1x2xf32>) -> (tensor<1x1x2x16xf32>, tensor<1x2x16x16xf32>) {
  %r0, %r1 = attn.delta_rule %q, %k, %v, %beta : (tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2xf32>) -> (tensor<1x1x2x16xf32>, tensor<1x2x16x16xf32>)
  return %r0, %r1 : tensor<1x1x2x16xf32>, tensor<1x2x16x16xf32>
}

// PLAIN_T7_STATE: @plain_t7_state result #0 {{.*}} ok
// PLAIN_T7_STATE: @plain_t7_state result #1 {{.*}} ok
func.func @plain_t7_state(%q: tensor<2x7x2x16xf32>, %k: tensor<2x7x2x16xf32>, %v: tensor<2x7x2x8xf32>, %beta: tensor<2x7x2xf32>, %s0: tensor<2x2x16x8xf32>) -> (tensor<2x7x2x8xf32>, tensor<2x2x16x8xf32>) {
  %r0, %r1 = attn.delta_rule %q, %k, %v, %beta initial_state(%s0) : (tensor<2x7x2x16xf32>, tensor<2x7x2x16xf32>, tensor<2x7x2x8xf32>, tensor<2x7x2xf32>, tensor<2x2x16x8xf32>) -> (tensor<2x7x2x8xf32>, tensor<2x2x16x8xf32>)
  return %r0, %r1 : tensor<2x7x2x8xf32>, tensor<2x2x16x8xf32>
}

// PLAIN_D64_T100: @plain_d64_t100 result #0 {{.*}} ok
// PLAIN_D64_T100: @plain_d64_t100 result #1 {{.*}} ok
func.func @plain_d64_t100(%q: tensor<1x100x2x64xf32>, %k: tensor<1x100x2x64xf32>, %v: tensor<1x100x2x64xf32>, %beta: tensor<1x100x2xf32>) -> (tensor<1x100x2x64xf32>, tensor<1x2x64x64xf32>) {
  %r0, %r1 = attn.delta_rule %q, %k, %v, %beta : (tensor<1x100x2x64xf32>, tensor<1x100x2x64xf32>, tensor<1x100x2x64xf32>, tensor<1x100x2xf32>) -> (tensor<1x100x2x64xf32>, tensor<1x2x64x64xf32>)
  return %r0, %r1 : tensor<1x100x2x64xf32>, tensor<1x2x64x64xf32>
}

// PLAIN_D128_T64: @plain_d128_t64 result #0 {{.*}} ok
// PLAIN_D128_T64: @plain_d128_t64 result #1 {{.*}} ok
func.func @plain_d128_t64(%q: tensor<1x64x2x128xf32>, %k: tensor<1x64x2x128xf32>, %v: tensor<1x64x2x128xf32>, %beta: tensor<1x64x2xf32>) -> (tensor<1x64x2x128xf32>, tensor<1x2x128x128xf32>) {
  %r0, %r1 = attn.delta_rule %q, %k, %v, %beta : (tensor<1x64x2x128xf32>, tensor<1x64x2x128xf32>, tensor<1x64x2x128xf32>, tensor<1x64x2xf32>) -> (tensor<1x64x2x128xf32>, tensor<1x2x128x128xf32>)
  return %r0, %r1 : tensor<1x64x2x128xf32>, tensor<1x2x128x128xf32>
}

// GATED_T7_STATE: @gated_t7_state result #0 {{.*}} ok
// GATED_T7_STATE: @gated_t7_state result #1 {{.*}} ok
func.func @gated_t7_state(%q: tensor<2x7x2x16xf32>, %k: tensor<2x7x2x16xf32>, %v: tensor<2x7x2x8xf32>, %beta: tensor<2x7x2xf32>, %g: tensor<2x7x2xf32>, %s0: tensor<2x2x16x8xf32>) -> (tensor<2x7x2x8xf32>, tensor<2x2x16x8xf32>) {
  %r0, %r1 = attn.delta_rule %q, %k, %v, %beta gate(%g) initial_state(%s0) : (tensor<2x7x2x16xf32>, tensor<2x7x2x16xf32>, tensor<2x7x2x8xf32>, tensor<2x7x2xf32>, tensor<2x7x2xf32>, tensor<2x2x16x8xf32>) -> (tensor<2x7x2x8xf32>, tensor<2x2x16x8xf32>)
  return %r0, %r1 : tensor<2x7x2x8xf32>, tensor<2x2x16x8xf32>
}

// GATED_D64_T100: @gated_d64_t100 result #0 {{.*}} ok
// GATED_D64_T100: @gated_d64_t100 result #1 {{.*}} ok
func.func @gated_d64_t100(%q: tensor<1x100x2x64xf32>, %k: tensor<1x100x2x64xf32>, %v: tensor<1x100x2x64xf32>, %beta: tensor<1x100x2xf32>, %g: tensor<1x100x2xf32>) -> (tensor<1x100x2x64xf32>, tensor<1x2x64x64xf32>) {
  %r0, %r1 = attn.delta_rule %q, %k, %v, %beta gate(%g) : (tensor<1x100x2x64xf32>, tensor<1x100x2x64xf32>, tensor<1x100x2x64xf32>, tensor<1x100x2xf32>, tensor<1x100x2xf32>) -> (tensor<1x100x2x64xf32>, tensor<1x2x64x64xf32>)
  return %r0, %r1 : tensor<1x100x2x64xf32>, tensor<1x2x64x64xf32>
}

// GATED_STRONG_T100: @gated_strong_t100 result #0 {{.*}} ok
// GATED_STRONG_T100: @gated_strong_t100 result #1 {{.*}} ok
func.func @gated_strong_t100(%q: tensor<1x100x2x64xf32>, %k: tensor<1x100x2x64xf32>, %v: tensor<1x100x2x64xf32>, %beta: tensor<1x100x2xf32>, %g: tensor<1x100x2xf32>) -> (tensor<1x100x2x64xf32>, tensor<1x2x64x64xf32>) {
  %r0, %r1 = attn.delta_rule %q, %k, %v, %beta gate(%g) : (tensor<1x100x2x64xf32>, tensor<1x100x2x64xf32>, tensor<1x100x2x64xf32>, tensor<1x100x2xf32>, tensor<1x100x2xf32>) -> (tensor<1x100x2x64xf32>, tensor<1x2x64x64xf32>)
  return %r0, %r1 : tensor<1x100x2x64xf32>, tensor<1x2x64x64xf32>
}

// GATED_T1000: @gated_t1000 result #0 {{.*}} ok
// GATED_T1000: @gated_t1000 result #1 {{.*}} ok
func.func @gated_t1000(%q: tensor<1x1000x1x32xf32>, %k: tensor<1x1000x1x32xf32>, %v: tensor<1x1000x1x32xf32>, %beta: tensor<1x1000x1xf32>, %g: tensor<1x1000x1xf32>) -> (tensor<1x1000x1x32xf32>, tensor<1x1x32x32xf32>) {
  %r0, %r1 = attn.delta_rule %q, %k, %v, %beta gate(%g) : (tensor<1x1000x1x32xf32>, tensor<1x1000x1x32xf32>, tensor<1x1000x1x32xf32>, tensor<1x1000x1xf32>, tensor<1x1000x1xf32>) -> (tensor<1x1000x1x32xf32>, tensor<1x1x32x32xf32>)
  return %r0, %r1 : tensor<1x1000x1x32xf32>, tensor<1x1x32x32xf32>
}

// GATED_BF16: @gated_bf16 result #0 {{.*}} ok
// GATED_BF16: @gated_bf16 result #1 {{.*}} ok
func.func @gated_bf16(%q: tensor<1x100x2x64xbf16>, %k: tensor<1x100x2x64xbf16>, %v: tensor<1x100x2x64xbf16>, %beta: tensor<1x100x2xf32>, %g: tensor<1x100x2xf32>) -> (tensor<1x100x2x64xbf16>, tensor<1x2x64x64xf32>) {
  %r0, %r1 = attn.delta_rule %q, %k, %v, %beta gate(%g) : (tensor<1x100x2x64xbf16>, tensor<1x100x2x64xbf16>, tensor<1x100x2x64xbf16>, tensor<1x100x2xf32>, tensor<1x100x2xf32>) -> (tensor<1x100x2x64xbf16>, tensor<1x2x64x64xf32>)
  return %r0, %r1 : tensor<1x100x2x64xbf16>, tensor<1x2x64x64xf32>
}

// PLAIN_F16: @plain_f16 result #0 {{.*}} ok
func.func @plain_f16(%q: tensor<1x40x2x64xf16>, %k: tensor<1x40x2x64xf16>, %v: tensor<1x40x2x64xf16>, %beta: tensor<1x40x2xf32>) -> tensor<1x40x2x64xf16> {
  %r0 = attn.delta_rule %q, %k, %v, %beta : (tensor<1x40x2x64xf16>, tensor<1x40x2x64xf16>, tensor<1x40x2x64xf16>, tensor<1x40x2xf32>) -> tensor<1x40x2x64xf16>
  return %r0 : tensor<1x40x2x64xf16>
}
