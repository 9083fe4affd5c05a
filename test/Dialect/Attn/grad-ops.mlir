// RUN: attn-opt %s | attn-opt | FileCheck %s
// RUN: attn-opt %s --mlir-print-op-generic | attn-opt | FileCheck %s

// Round trip of the gradient ops: every optional operand and attribute.

// CHECK-LABEL: func.func @linear_grad
// CHECK: attn.linear_attention_grad %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x64x4x16xbf16>, tensor<2x64x2x16xbf16>, tensor<2x64x2x8xbf16>, tensor<2x64x4x8xbf16>) -> (tensor<2x64x4x16xbf16>, tensor<2x64x2x16xbf16>, tensor<2x64x2x8xbf16>)
func.func @linear_grad(%q: tensor<2x64x4x16xbf16>, %k: tensor<2x64x2x16xbf16>,
                       %v: tensor<2x64x2x8xbf16>, %do: tensor<2x64x4x8xbf16>)
    -> (tensor<2x64x4x16xbf16>, tensor<2x64x2x16xbf16>, tensor<2x64x2x8xbf16>) {
  %dq, %dk, %dv = attn.linear_attention_grad %q, %k, %v, %do
      : (tensor<2x64x4x16xbf16>, tensor<2x64x2x16xbf16>, tensor<2x64x2x8xbf16>,
         tensor<2x64x4x8xbf16>)
      -> (tensor<2x64x4x16xbf16>, tensor<2x64x2x16xbf16>, tensor<2x64x2x8xbf16>)
  return %dq, %dk, %dv : tensor<2x64x4x16xbf16>, tensor<2x64x2x16xbf16>, tensor<2x64x2x8xbf16>
}

// CHECK-LABEL: func.func @linear_grad_states
// CHECK: attn.linear_attention_grad %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} initial_state(%{{.*}}) d_final_state(%{{.*}}) {causal = false, feature_map = #attn.feature_map<elu_plus_one>, scale = 5.000000e-01 : f64}
func.func @linear_grad_states(%q: tensor<1x8x2x16xf32>, %do: tensor<1x8x2x16xf32>,
                              %s0: tensor<1x2x16x16xf32>, %ds: tensor<1x2x16x16xf32>)
    -> (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x2x16x16xf32>) {
  %dq, %dk, %dv, %ds0 = attn.linear_attention_grad %q, %q, %q, %do
      initial_state(%s0) d_final_state(%ds)
      {causal = false, feature_map = #attn.feature_map<elu_plus_one>, scale = 0.5}
      : (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>,
         tensor<1x8x2x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>)
      -> (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x2x16x16xf32>)
  return %dq, %dk, %dv, %ds0 : tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x2x16x16xf32>
}

// CHECK-LABEL: func.func @gated_grad
// CHECK: attn.gated_linear_attention_grad %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} d_final_state(%{{.*}}) : (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2xf32>, tensor<1x8x2x16xf32>, tensor<1x2x16x16xf32>) -> (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2xf32>)
func.func @gated_grad(%q: tensor<1x8x2x16xf32>, %g: tensor<1x8x2xf32>,
                      %ds: tensor<1x2x16x16xf32>)
    -> (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2xf32>) {
  %dq, %dk, %dv, %dg = attn.gated_linear_attention_grad %q, %q, %q, %g, %q
      d_final_state(%ds)
      : (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>,
         tensor<1x8x2xf32>, tensor<1x8x2x16xf32>, tensor<1x2x16x16xf32>)
      -> (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2xf32>)
  return %dq, %dk, %dv, %dg : tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2xf32>
}

// CHECK-LABEL: func.func @softmax_grad
// CHECK: attn.softmax_attention_grad %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {scale = 2.500000e-01 : f64, window = 16 : i64} : (tensor<1x8x4x16xbf16>, tensor<1x32x2x16xbf16>, tensor<1x32x2x8xbf16>, tensor<1x8x4x8xbf16>) -> (tensor<1x8x4x16xbf16>, tensor<1x32x2x16xbf16>, tensor<1x32x2x8xbf16>)
func.func @softmax_grad(%q: tensor<1x8x4x16xbf16>, %k: tensor<1x32x2x16xbf16>,
                        %v: tensor<1x32x2x8xbf16>, %do: tensor<1x8x4x8xbf16>)
    -> (tensor<1x8x4x16xbf16>, tensor<1x32x2x16xbf16>, tensor<1x32x2x8xbf16>) {
  %dq, %dk, %dv = attn.softmax_attention_grad %q, %k, %v, %do {window = 16, scale = 0.25}
      : (tensor<1x8x4x16xbf16>, tensor<1x32x2x16xbf16>, tensor<1x32x2x8xbf16>,
         tensor<1x8x4x8xbf16>)
      -> (tensor<1x8x4x16xbf16>, tensor<1x32x2x16xbf16>, tensor<1x32x2x8xbf16>)
  return %dq, %dk, %dv : tensor<1x8x4x16xbf16>, tensor<1x32x2x16xbf16>, tensor<1x32x2x8xbf16>
}

// CHECK-LABEL: func.func @delta_grad
// CHECK: attn.delta_rule_grad %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2xf32>, tensor<1x8x2x16xf32>) -> (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2xf32>)
func.func @delta_grad(%q: tensor<1x8x2x16xf32>, %b: tensor<1x8x2xf32>)
    -> (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2xf32>) {
  %dq, %dk, %dv, %db = attn.delta_rule_grad %q, %q, %q, %b, %q
      : (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>,
         tensor<1x8x2xf32>, tensor<1x8x2x16xf32>)
      -> (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2xf32>)
  return %dq, %dk, %dv, %db : tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2xf32>
}

// CHECK-LABEL: func.func @gated_delta_grad_states
// CHECK: attn.delta_rule_grad %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} gate(%{{.*}}) initial_state(%{{.*}}) d_final_state(%{{.*}}) {scale = 2.500000e-01 : f64}
func.func @gated_delta_grad_states(%q: tensor<1x8x2x16xf32>, %b: tensor<1x8x2xf32>,
                                   %s0: tensor<1x2x16x16xf32>)
    -> (tensor<1x8x2xf32>, tensor<1x2x16x16xf32>) {
  %dq, %dk, %dv, %db, %dg, %ds0 = attn.delta_rule_grad %q, %q, %q, %b, %q
      gate(%b) initial_state(%s0) d_final_state(%s0) {scale = 0.25}
      : (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>,
         tensor<1x8x2xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2xf32>,
         tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>)
      -> (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>,
          tensor<1x8x2xf32>, tensor<1x8x2xf32>, tensor<1x2x16x16xf32>)
  return %dg, %ds0 : tensor<1x8x2xf32>, tensor<1x2x16x16xf32>
}
