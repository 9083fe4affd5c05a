// attn.delta_rule_grad (plain and gated delta rule) through attn-expand-grad's
// chunkwise backward (ChunkwiseDeltaRuleGrad.cpp: chunk start states forward,
// dS backward through each chunk's WY/UT transform) against the float64
// backpropagation through the recurrence (lib/Reference/Gradients.cpp,
// deltaRuleGrad): T = 1, T not a multiple of the chunk (64), one exact chunk,
// initial and final-state gradients, GQA (Hkv = 2 and 1), D = 16..128, bf16,
// weak and strong gates.

// RUN: attn-run %s --all --check | FileCheck %s
// RUN: attn-run %s --all --check --form=reference | FileCheck %s
// RUN: attn-run %s --all --check --gate=strong | FileCheck %s
// CHECK-NOT: FAIL
// CHECK: @delta_t1 result #3 'dbeta'{{.*}} ok
// CHECK: @gated_t130_states result #4 'dg'{{.*}} ok
// CHECK: @gated_t130_states result #5 'd_initial_state'{{.*}} ok
// CHECK: @gated_bf16 result #5 'd_initial_state'{{.*}} ok

func.func @delta_t1(%q: tensor<1x1x2x16xf32>, %k: tensor<1x1x2x16xf32>, %v: tensor<1x1x2x16xf32>, %beta: tensor<1x1x2xf32>, %do: tensor<1x1x2x16xf32>) -> (tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2xf32>) {
  %r0, %r1, %r2, %r3 = attn.delta_rule_grad %q, %k, %v, %beta, %do
      : (tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2xf32>, tensor<1x1x2x16xf32>)
      -> (tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2xf32>)
  return %r0, %r1, %r2, %r3 : tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2xf32>
}

func.func @delta_t100_states(%q: tensor<2x100x2x32xf32>, %k: tensor<2x100x2x32xf32>, %v: tensor<2x100x2x16xf32>, %beta: tensor<2x100x2xf32>, %do: tensor<2x100x2x16xf32>, %s0: tensor<2x2x32x16xf32>, %ds: tensor<2x2x32x16xf32>) -> (tensor<2x100x2x32xf32>, tensor<2x100x2x32xf32>, tensor<2x100x2x16xf32>, tensor<2x100x2xf32>, tensor<2x2x32x16xf32>) {
  %r0, %r1, %r2, %r3, %r4 = attn.delta_rule_grad %q, %k, %v, %beta, %do initial_state(%s0) d_final_state(%ds)
      : (tensor<2x100x2x32xf32>, tensor<2x100x2x32xf32>, tensor<2x100x2x16xf32>, tensor<2x100x2xf32>, tensor<2x100x2x16xf32>, tensor<2x2x32x16xf32>, tensor<2x2x32x16xf32>)
      -> (tensor<2x100x2x32xf32>, tensor<2x100x2x32xf32>, tensor<2x100x2x16xf32>, tensor<2x100x2xf32>, tensor<2x2x32x16xf32>)
  return %r0, %r1, %r2, %r3, %r4 : tensor<2x100x2x32xf32>, tensor<2x100x2x32xf32>, tensor<2x100x2x16xf32>, tensor<2x100x2xf32>, tensor<2x2x32x16xf32>
}

func.func @gated_t130_states(%q: tensor<1x130x2x16xf32>, %k: tensor<1x130x2x16xf32>, %v: tensor<1x130x2x32xf32>, %beta: tensor<1x130x2xf32>, %do: tensor<1x130x2x32xf32>, %g: tensor<1x130x2xf32>, %s0: tensor<1x2x16x32xf32>, %ds: tensor<1x2x16x32xf32>) -> (tensor<1x130x2x16xf32>, tensor<1x130x2x16xf32>, tensor<1x130x2x32xf32>, tensor<1x130x2xf32>, tensor<1x130x2xf32>, tensor<1x2x16x32xf32>) {
  %r0, %r1, %r2, %r3, %r4, %r5 = attn.delta_rule_grad %q, %k, %v, %beta, %do gate(%g) initial_state(%s0) d_final_state(%ds)
      : (tensor<1x130x2x16xf32>, tensor<1x130x2x16xf32>, tensor<1x130x2x32xf32>, tensor<1x130x2xf32>, tensor<1x130x2x32xf32>, tensor<1x130x2xf32>, tensor<1x2x16x32xf32>, tensor<1x2x16x32xf32>)
      -> (tensor<1x130x2x16xf32>, tensor<1x130x2x16xf32>, tensor<1x130x2x32xf32>, tensor<1x130x2xf32>, tensor<1x130x2xf32>, tensor<1x2x16x32xf32>)
  return %r0, %r1, %r2, %r3, %r4, %r5 : tensor<1x130x2x16xf32>, tensor<1x130x2x16xf32>, tensor<1x130x2x32xf32>, tensor<1x130x2xf32>, tensor<1x130x2xf32>, tensor<1x2x16x32xf32>
}

func.func @gated_t1_states(%q: tensor<1x1x2x16xf32>, %k: tensor<1x1x2x16xf32>, %v: tensor<1x1x2x16xf32>, %beta: tensor<1x1x2xf32>, %do: tensor<1x1x2x16xf32>, %g: tensor<1x1x2xf32>, %s0: tensor<1x2x16x16xf32>, %ds: tensor<1x2x16x16xf32>) -> (tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2xf32>, tensor<1x1x2xf32>, tensor<1x2x16x16xf32>) {
  %r0, %r1, %r2, %r3, %r4, %r5 = attn.delta_rule_grad %q, %k, %v, %beta, %do gate(%g) initial_state(%s0) d_final_state(%ds)
      : (tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>)
      -> (tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2xf32>, tensor<1x1x2xf32>, tensor<1x2x16x16xf32>)
  return %r0, %r1, %r2, %r3, %r4, %r5 : tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2xf32>, tensor<1x1x2xf32>, tensor<1x2x16x16xf32>
}

func.func @gated_gqa_d64(%q: tensor<1x70x4x64xf32>, %k: tensor<1x70x2x64xf32>, %v: tensor<1x70x2x64xf32>, %beta: tensor<1x70x4xf32>, %do: tensor<1x70x4x64xf32>, %g: tensor<1x70x4xf32>, %ds: tensor<1x4x64x64xf32>) -> (tensor<1x70x4x64xf32>, tensor<1x70x2x64xf32>, tensor<1x70x2x64xf32>, tensor<1x70x4xf32>, tensor<1x70x4xf32>) {
  %r0, %r1, %r2, %r3, %r4 = attn.delta_rule_grad %q, %k, %v, %beta, %do gate(%g) d_final_state(%ds)
      : (tensor<1x70x4x64xf32>, tensor<1x70x2x64xf32>, tensor<1x70x2x64xf32>, tensor<1x70x4xf32>, tensor<1x70x4x64xf32>, tensor<1x70x4xf32>, tensor<1x4x64x64xf32>)
      -> (tensor<1x70x4x64xf32>, tensor<1x70x2x64xf32>, tensor<1x70x2x64xf32>, tensor<1x70x4xf32>, tensor<1x70x4xf32>)
  return %r0, %r1, %r2, %r3, %r4 : tensor<1x70x4x64xf32>, tensor<1x70x2x64xf32>, tensor<1x70x2x64xf32>, tensor<1x70x4xf32>, tensor<1x70x4xf32>
}

func.func @delta_gqa_mqa(%q: tensor<1x40x4x16xf32>, %k: tensor<1x40x1x16xf32>, %v: tensor<1x40x1x16xf32>, %beta: tensor<1x40x4xf32>, %do: tensor<1x40x4x16xf32>, %s0: tensor<1x4x16x16xf32>) -> (tensor<1x40x4x16xf32>, tensor<1x40x1x16xf32>, tensor<1x40x1x16xf32>, tensor<1x40x4xf32>, tensor<1x4x16x16xf32>) {
  %r0, %r1, %r2, %r3, %r4 = attn.delta_rule_grad %q, %k, %v, %beta, %do initial_state(%s0)
      : (tensor<1x40x4x16xf32>, tensor<1x40x1x16xf32>, tensor<1x40x1x16xf32>, tensor<1x40x4xf32>, tensor<1x40x4x16xf32>, tensor<1x4x16x16xf32>)
      -> (tensor<1x40x4x16xf32>, tensor<1x40x1x16xf32>, tensor<1x40x1x16xf32>, tensor<1x40x4xf32>, tensor<1x4x16x16xf32>)
  return %r0, %r1, %r2, %r3, %r4 : tensor<1x40x4x16xf32>, tensor<1x40x1x16xf32>, tensor<1x40x1x16xf32>, tensor<1x40x4xf32>, tensor<1x4x16x16xf32>
}

func.func @delta_d128(%q: tensor<1x64x1x128xf32>, %k: tensor<1x64x1x128xf32>, %v: tensor<1x64x1x128xf32>, %beta: tensor<1x64x1xf32>, %do: tensor<1x64x1x128xf32>, %ds: tensor<1x1x128x128xf32>) -> (tensor<1x64x1x128xf32>, tensor<1x64x1x128xf32>, tensor<1x64x1x128xf32>, tensor<1x64x1xf32>) {
  %r0, %r1, %r2, %r3 = attn.delta_rule_grad %q, %k, %v, %beta, %do d_final_state(%ds) {scale = 0.1}
      : (tensor<1x64x1x128xf32>, tensor<1x64x1x128xf32>, tensor<1x64x1x128xf32>, tensor<1x64x1xf32>, tensor<1x64x1x128xf32>, tensor<1x1x128x128xf32>)
      -> (tensor<1x64x1x128xf32>, tensor<1x64x1x128xf32>, tensor<1x64x1x128xf32>, tensor<1x64x1xf32>)
  return %r0, %r1, %r2, %r3 : tensor<1x64x1x128xf32>, tensor<1x64x1x128xf32>, tensor<1x64x1x128xf32>, tensor<1x64x1xf32>
}

func.func @gated_bf16(%q: tensor<1x80x2x64xbf16>, %k: tensor<1x80x2x64xbf16>, %v: tensor<1x80x2x64xbf16>, %beta: tensor<1x80x2xbf16>, %do: tensor<1x80x2x64xbf16>, %g: tensor<1x80x2xbf16>, %s0: tensor<1x2x64x64xf32>, %ds: tensor<1x2x64x64xf32>) -> (tensor<1x80x2x64xbf16>, tensor<1x80x2x64xbf16>, tensor<1x80x2x64xbf16>, tensor<1x80x2xbf16>, tensor<1x80x2xbf16>, tensor<1x2x64x64xf32>) {
  %r0, %r1, %r2, %r3, %r4, %r5 = attn.delta_rule_grad %q, %k, %v, %beta, %do gate(%g) initial_state(%s0) d_final_state(%ds)
      : (tensor<1x80x2x64xbf16>, tensor<1x80x2x64xbf16>, tensor<1x80x2x64xbf16>, tensor<1x80x2xbf16>, tensor<1x80x2x64xbf16>, tensor<1x80x2xbf16>, tensor<1x2x64x64xf32>, tensor<1x2x64x64xf32>)
      -> (tensor<1x80x2x64xbf16>, tensor<1x80x2x64xbf16>, tensor<1x80x2x64xbf16>, tensor<1x80x2xbf16>, tensor<1x80x2xbf16>, tensor<1x2x64x64xf32>)
  return %r0, %r1, %r2, %r3, %r4, %r5 : tensor<1x80x2x64xbf16>, tensor<1x80x2x64xbf16>, tensor<1x80x2x64xbf16>, tensor<1x80x2xbf16>, tensor<1x80x2xbf16>, tensor<1x2x64x64xf32>
}

