// The gradient ops (attn.linear_attention_grad, attn.gated_linear_attention_grad)
// through attn-expand-grad and every form the forward ops they expand into
// take, against the float64 backpropagation through the recurrence
// (lib/Reference/Gradients.cpp): T = 1, T not a multiple of the chunk, initial
// and final-state gradients, GQA (Hkv = 2 and 1), D = 16..128, feature maps,
// non-causal, bf16, weak and strong gates.

// The forms the cost model picks, and the exact reference lowering:
// RUN: attn-run %s --all --check | FileCheck %s --check-prefix=AUTO
// RUN: attn-run %s --all --check --form=reference | FileCheck %s --check-prefix=AUTO
// RUN: attn-run %s --all --check --gate=strong | FileCheck %s --check-prefix=AUTO
// AUTO-NOT: FAIL
// AUTO: ok
// Forced forms of the expanded (causal) forward ops:
// RUN: attn-run %s --func=gated_t200_states --form=recurrent --check | FileCheck %s --check-prefix=FORCED
// RUN: attn-run %s --func=gated_t200_states --form=chunkwise --chunk-size=16 --check --gate=strong | FileCheck %s --check-prefix=FORCED
// RUN: attn-run %s --func=linear_t100_states --form=chunkwise --chunk-size=32 --check | FileCheck %s --check-prefix=FORCED
// RUN: attn-run %s --func=linear_gqa_d64 --form=quadratic --check | FileCheck %s --check-prefix=FORCED
// FORCED-NOT: FAIL
// FORCED: 'dq'{{.*}} ok
// FORCED: 'dk'{{.*}} ok
// FORCED: 'dv'{{.*}} ok

func.func @linear_t1(%q: tensor<1x1x2x16xf32>, %k: tensor<1x1x2x16xf32>, %v: tensor<1x1x2x16xf32>, %do: tensor<1x1x2x16xf32>) -> (tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>) {
  %r0, %r1, %r2 = attn.linear_attention_grad %q, %k, %v, %do
      : (tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>)
      -> (tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>)
  return %r0, %r1, %r2 : tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>
}

func.func @linear_t100_states(%q: tensor<2x100x2x32xf32>, %k: tensor<2x100x2x32xf32>, %v: tensor<2x100x2x16xf32>, %do: tensor<2x100x2x16xf32>, %s0: tensor<2x2x32x16xf32>, %ds: tensor<2x2x32x16xf32>) -> (tensor<2x100x2x32xf32>, tensor<2x100x2x32xf32>, tensor<2x100x2x16xf32>, tensor<2x2x32x16xf32>) {
  %r0, %r1, %r2, %r3 = attn.linear_attention_grad %q, %k, %v, %do initial_state(%s0) d_final_state(%ds)
      : (tensor<2x100x2x32xf32>, tensor<2x100x2x32xf32>, tensor<2x100x2x16xf32>, tensor<2x100x2x16xf32>, tensor<2x2x32x16xf32>, tensor<2x2x32x16xf32>)
      -> (tensor<2x100x2x32xf32>, tensor<2x100x2x32xf32>, tensor<2x100x2x16xf32>, tensor<2x2x32x16xf32>)
  return %r0, %r1, %r2, %r3 : tensor<2x100x2x32xf32>, tensor<2x100x2x32xf32>, tensor<2x100x2x16xf32>, tensor<2x2x32x16xf32>
}

func.func @linear_gqa_d64(%q: tensor<1x70x4x64xf32>, %k: tensor<1x70x2x64xf32>, %v: tensor<1x70x2x64xf32>, %do: tensor<1x70x4x64xf32>, %ds: tensor<1x4x64x64xf32>) -> (tensor<1x70x4x64xf32>, tensor<1x70x2x64xf32>, tensor<1x70x2x64xf32>) {
  %r0, %r1, %r2 = attn.linear_attention_grad %q, %k, %v, %do d_final_state(%ds)
      : (tensor<1x70x4x64xf32>, tensor<1x70x2x64xf32>, tensor<1x70x2x64xf32>, tensor<1x70x4x64xf32>, tensor<1x4x64x64xf32>)
      -> (tensor<1x70x4x64xf32>, tensor<1x70x2x64xf32>, tensor<1x70x2x64xf32>)
  return %r0, %r1, %r2 : tensor<1x70x4x64xf32>, tensor<1x70x2x64xf32>, tensor<1x70x2x64xf32>
}

func.func @linear_elu_noncausal(%q: tensor<1x50x2x16xf32>, %k: tensor<1x50x2x16xf32>, %v: tensor<1x50x2x16xf32>, %do: tensor<1x50x2x16xf32>, %s0: tensor<1x2x16x16xf32>, %ds: tensor<1x2x16x16xf32>) -> (tensor<1x50x2x16xf32>, tensor<1x50x2x16xf32>, tensor<1x50x2x16xf32>, tensor<1x2x16x16xf32>) {
  %r0, %r1, %r2, %r3 = attn.linear_attention_grad %q, %k, %v, %do initial_state(%s0) d_final_state(%ds) {causal = false, feature_map = #attn.feature_map<elu_plus_one>}
      : (tensor<1x50x2x16xf32>, tensor<1x50x2x16xf32>, tensor<1x50x2x16xf32>, tensor<1x50x2x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>)
      -> (tensor<1x50x2x16xf32>, tensor<1x50x2x16xf32>, tensor<1x50x2x16xf32>, tensor<1x2x16x16xf32>)
  return %r0, %r1, %r2, %r3 : tensor<1x50x2x16xf32>, tensor<1x50x2x16xf32>, tensor<1x50x2x16xf32>, tensor<1x2x16x16xf32>
}

func.func @linear_relu(%q: tensor<1x65x2x16xf32>, %k: tensor<1x65x2x16xf32>, %v: tensor<1x65x2x32xf32>, %do: tensor<1x65x2x32xf32>) -> (tensor<1x65x2x16xf32>, tensor<1x65x2x16xf32>, tensor<1x65x2x32xf32>) {
  %r0, %r1, %r2 = attn.linear_attention_grad %q, %k, %v, %do {feature_map = #attn.feature_map<relu>, scale = 0.5}
      : (tensor<1x65x2x16xf32>, tensor<1x65x2x16xf32>, tensor<1x65x2x32xf32>, tensor<1x65x2x32xf32>)
      -> (tensor<1x65x2x16xf32>, tensor<1x65x2x16xf32>, tensor<1x65x2x32xf32>)
  return %r0, %r1, %r2 : tensor<1x65x2x16xf32>, tensor<1x65x2x16xf32>, tensor<1x65x2x32xf32>
}

func.func @linear_bf16(%q: tensor<1x130x2x64xbf16>, %k: tensor<1x130x2x64xbf16>, %v: tensor<1x130x2x64xbf16>, %do: tensor<1x130x2x64xbf16>, %s0: tensor<1x2x64x64xf32>, %ds: tensor<1x2x64x64xf32>) -> (tensor<1x130x2x64xbf16>, tensor<1x130x2x64xbf16>, tensor<1x130x2x64xbf16>, tensor<1x2x64x64xf32>) {
  %r0, %r1, %r2, %r3 = attn.linear_attention_grad %q, %k, %v, %do initial_state(%s0) d_final_state(%ds)
      : (tensor<1x130x2x64xbf16>, tensor<1x130x2x64xbf16>, tensor<1x130x2x64xbf16>, tensor<1x130x2x64xbf16>, tensor<1x2x64x64xf32>, tensor<1x2x64x64xf32>)
      -> (tensor<1x130x2x64xbf16>, tensor<1x130x2x64xbf16>, tensor<1x130x2x64xbf16>, tensor<1x2x64x64xf32>)
  return %r0, %r1, %r2, %r3 : tensor<1x130x2x64xbf16>, tensor<1x130x2x64xbf16>, tensor<1x130x2x64xbf16>, tensor<1x2x64x64xf32>
}

func.func @gated_t1_state(%q: tensor<1x1x2x16xf32>, %k: tensor<1x1x2x16xf32>, %v: tensor<1x1x2x16xf32>, %g: tensor<1x1x2xf32>, %do: tensor<1x1x2x16xf32>, %s0: tensor<1x2x16x16xf32>, %ds: tensor<1x2x16x16xf32>) -> (tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2xf32>, tensor<1x2x16x16xf32>) {
  %r0, %r1, %r2, %r3, %r4 = attn.gated_linear_attention_grad %q, %k, %v, %g, %do initial_state(%s0) d_final_state(%ds)
      : (tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2xf32>, tensor<1x1x2x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>)
      -> (tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2xf32>, tensor<1x2x16x16xf32>)
  return %r0, %r1, %r2, %r3, %r4 : tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2xf32>, tensor<1x2x16x16xf32>
}

func.func @gated_t200_states(%q: tensor<2x200x2x32xf32>, %k: tensor<2x200x2x32xf32>, %v: tensor<2x200x2x32xf32>, %g: tensor<2x200x2xf32>, %do: tensor<2x200x2x32xf32>, %s0: tensor<2x2x32x32xf32>, %ds: tensor<2x2x32x32xf32>) -> (tensor<2x200x2x32xf32>, tensor<2x200x2x32xf32>, tensor<2x200x2x32xf32>, tensor<2x200x2xf32>, tensor<2x2x32x32xf32>) {
  %r0, %r1, %r2, %r3, %r4 = attn.gated_linear_attention_grad %q, %k, %v, %g, %do initial_state(%s0) d_final_state(%ds)
      : (tensor<2x200x2x32xf32>, tensor<2x200x2x32xf32>, tensor<2x200x2x32xf32>, tensor<2x200x2xf32>, tensor<2x200x2x32xf32>, tensor<2x2x32x32xf32>, tensor<2x2x32x32xf32>)
      -> (tensor<2x200x2x32xf32>, tensor<2x200x2x32xf32>, tensor<2x200x2x32xf32>, tensor<2x200x2xf32>, tensor<2x2x32x32xf32>)
  return %r0, %r1, %r2, %r3, %r4 : tensor<2x200x2x32xf32>, tensor<2x200x2x32xf32>, tensor<2x200x2x32xf32>, tensor<2x200x2xf32>, tensor<2x2x32x32xf32>
}

func.func @gated_gqa_d128(%q: tensor<1x129x4x128xf32>, %k: tensor<1x129x1x128xf32>, %v: tensor<1x129x1x64xf32>, %g: tensor<1x129x4xf32>, %do: tensor<1x129x4x64xf32>, %ds: tensor<1x4x128x64xf32>) -> (tensor<1x129x4x128xf32>, tensor<1x129x1x128xf32>, tensor<1x129x1x64xf32>, tensor<1x129x4xf32>) {
  %r0, %r1, %r2, %r3 = attn.gated_linear_attention_grad %q, %k, %v, %g, %do d_final_state(%ds)
      : (tensor<1x129x4x128xf32>, tensor<1x129x1x128xf32>, tensor<1x129x1x64xf32>, tensor<1x129x4xf32>, tensor<1x129x4x64xf32>, tensor<1x4x128x64xf32>)
      -> (tensor<1x129x4x128xf32>, tensor<1x129x1x128xf32>, tensor<1x129x1x64xf32>, tensor<1x129x4xf32>)
  return %r0, %r1, %r2, %r3 : tensor<1x129x4x128xf32>, tensor<1x129x1x128xf32>, tensor<1x129x1x64xf32>, tensor<1x129x4xf32>
}

func.func @gated_bf16(%q: tensor<1x100x2x64xbf16>, %k: tensor<1x100x2x64xbf16>, %v: tensor<1x100x2x64xbf16>, %g: tensor<1x100x2xf32>, %do: tensor<1x100x2x64xbf16>, %s0: tensor<1x2x64x64xf32>) -> (tensor<1x100x2x64xbf16>, tensor<1x100x2x64xbf16>, tensor<1x100x2x64xbf16>, tensor<1x100x2xf32>, tensor<1x2x64x64xf32>) {
  %r0, %r1, %r2, %r3, %r4 = attn.gated_linear_attention_grad %q, %k, %v, %g, %do initial_state(%s0)
      : (tensor<1x100x2x64xbf16>, tensor<1x100x2x64xbf16>, tensor<1x100x2x64xbf16>, tensor<1x100x2xf32>, tensor<1x100x2x64xbf16>, tensor<1x2x64x64xf32>)
      -> (tensor<1x100x2x64xbf16>, tensor<1x100x2x64xbf16>, tensor<1x100x2x64xbf16>, tensor<1x100x2xf32>, tensor<1x2x64x64xf32>)
  return %r0, %r1, %r2, %r3, %r4 : tensor<1x100x2x64xbf16>, tensor<1x100x2x64xbf16>, tensor<1x100x2x64xbf16>, tensor<1x100x2xf32>, tensor<1x2x64x64xf32>
}
