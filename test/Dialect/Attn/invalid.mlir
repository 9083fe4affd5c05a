// RUN: attn-opt %s -split-input-file -verify-diagnostics

// One case per diagnostic the attn ops can emit: the ODS constraints, the
// custom attribute parsers and every check of AttnVerifiers.cpp.

//===----------------------------------------------------------------------===//
// ODS-generated constraints and attribute parsers
//===----------------------------------------------------------------------===//

func.func @q_not_a_tensor(%q: f32, %k: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'attn.softmax_attention' op operand #0 must be ranked tensor of any type values, but got 'f32'}}
  %o = attn.softmax_attention %q, %k, %k
      : (f32, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @k_unranked(%q: tensor<1x64x2x16xf32>, %k: tensor<*xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'attn.linear_attention' op operand #1 must be ranked tensor of any type values, but got 'tensor<*xf32>'}}
  %o = attn.linear_attention %q, %k, %q
      : (tensor<1x64x2x16xf32>, tensor<*xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @scale_not_f64(%q: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{attribute 'scale' failed to satisfy constraint: 64-bit float attribute}}
  %o = attn.softmax_attention %q, %q, %q {scale = 0.125 : f32}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @unknown_feature_map(%q: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+2 {{expected ::mlir::attn::FeatureMap to be one of: identity, elu_plus_one, relu}}
  // expected-error @+1 {{failed to parse Attn_FeatureMapAttr parameter 'value'}}
  %o = attn.linear_attention %q, %q, %q {feature_map = #attn.feature_map<tanh>}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @unknown_form(%q: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+2 {{expected ::mlir::attn::Form to be one of: recurrent, quadratic, chunkwise, reassociated}}
  // expected-error @+1 {{failed to parse Attn_FormAttr parameter 'value'}}
  %o = attn.linear_attention %q, %q, %q {form = #attn.form<blocked>}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Ranks and sizes of q, k, v and o
//===----------------------------------------------------------------------===//

func.func @q_rank(%q: tensor<1x64x16xf32>, %k: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'attn.softmax_attention' op 'q' must be a rank-4 tensor [B, T, H, Dk], got 'tensor<1x64x16xf32>'}}
  %o = attn.softmax_attention %q, %k, %k
      : (tensor<1x64x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @k_rank(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16x1xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'attn.linear_attention' op 'k' must be a rank-4 tensor [B, T, H, Dk], got 'tensor<1x64x2x16x1xf32>'}}
  %o = attn.linear_attention %q, %k, %q
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16x1xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @v_rank(%q: tensor<1x64x2x16xf32>, %v: tensor<64x2x16xf32>, %g: tensor<1x64x2xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'attn.gated_linear_attention' op 'v' must be a rank-4 tensor [B, T, H, Dv], got 'tensor<64x2x16xf32>'}}
  %o = attn.gated_linear_attention %q, %q, %v, %g
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<64x2x16xf32>, tensor<1x64x2xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @o_rank(%q: tensor<1x64x2x16xf32>, %beta: tensor<1x64x2xf32>) -> tensor<64x32xf32> {
  // expected-error @+1 {{'attn.delta_rule' op 'o' must be a rank-4 tensor [B, T, H, Dv], got 'tensor<64x32xf32>'}}
  %o = attn.delta_rule %q, %q, %q, %beta
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2xf32>) -> tensor<64x32xf32>
  return %o : tensor<64x32xf32>
}

// -----

func.func @zero_sized_dim(%q: tensor<1x64x2x16xf32>, %k: tensor<1x0x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'attn.softmax_attention' op 'k' has a zero-sized dimension: 'tensor<1x0x2x16xf32>'}}
  %o = attn.softmax_attention %q, %k, %k {causal = false}
      : (tensor<1x64x2x16xf32>, tensor<1x0x2x16xf32>, tensor<1x0x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Element types
//===----------------------------------------------------------------------===//

func.func @q_element_type_i32(%q: tensor<1x64x2x16xi32>) -> tensor<1x64x2x16xi32> {
  // expected-error @+1 {{'q' element type must be f32, bf16 or f16, got 'i32'}}
  %o = attn.softmax_attention %q, %q, %q
      : (tensor<1x64x2x16xi32>, tensor<1x64x2x16xi32>, tensor<1x64x2x16xi32>) -> tensor<1x64x2x16xi32>
  return %o : tensor<1x64x2x16xi32>
}

// -----

func.func @q_element_type_f64(%q: tensor<1x64x2x16xf64>) -> tensor<1x64x2x16xf64> {
  // expected-error @+1 {{'q' element type must be f32, bf16 or f16, got 'f64'}}
  %o = attn.linear_attention %q, %q, %q
      : (tensor<1x64x2x16xf64>, tensor<1x64x2x16xf64>, tensor<1x64x2x16xf64>) -> tensor<1x64x2x16xf64>
  return %o : tensor<1x64x2x16xf64>
}

// -----

func.func @k_element_type_mismatch(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xbf16>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'k' element type 'bf16' must match 'q' ('f32')}}
  %o = attn.softmax_attention %q, %k, %q
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xbf16>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @v_element_type_mismatch(%q: tensor<1x64x2x16xbf16>, %v: tensor<1x64x2x16xf16>) -> tensor<1x64x2x16xf16> {
  // expected-error @+1 {{'v' element type 'f16' must match 'q' ('bf16')}}
  %o = attn.linear_attention %q, %q, %v
      : (tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>, tensor<1x64x2x16xf16>) -> tensor<1x64x2x16xf16>
  return %o : tensor<1x64x2x16xf16>
}

// -----

func.func @o_element_type_mismatch(%q: tensor<1x64x2x16xbf16>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'o' element type 'f32' must match 'v' ('bf16')}}
  %o = attn.softmax_attention %q, %q, %q
      : (tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Sizes that must agree
//===----------------------------------------------------------------------===//

func.func @batch_mismatch(%q: tensor<1x64x2x16xf32>, %k: tensor<2x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{batch size (B) mismatch: 'k' has 2 but 'q' has 1}}
  %o = attn.softmax_attention %q, %k, %k
      : (tensor<1x64x2x16xf32>, tensor<2x64x2x16xf32>, tensor<2x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @heads_mismatch(%q: tensor<1x64x2x16xf32>, %v: tensor<1x64x4x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{head count (H) mismatch: 'v' has 4 but 'k' has 2}}
  %o = attn.linear_attention %q, %q, %v
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x4x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @key_dim_mismatch(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x32xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{key head dim (Dk) mismatch: 'k' has 32 but 'q' has 16}}
  %o = attn.softmax_attention %q, %k, %q
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x32xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @value_dim_mismatch(%q: tensor<1x64x2x16xf32>, %v: tensor<1x64x2x8xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{value head dim (Dv) mismatch: 'o' has 16 but 'v' has 8}}
  %o = attn.linear_attention %q, %q, %v
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x8xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @key_seq_len_mismatch(%q: tensor<1x64x2x16xf32>, %k: tensor<1x128x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{key sequence length (T) mismatch: 'v' has 64 but 'k' has 128}}
  %o = attn.softmax_attention %q, %k, %q
      : (tensor<1x64x2x16xf32>, tensor<1x128x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @query_seq_len_mismatch(%q: tensor<1x64x2x16xf32>) -> tensor<1x32x2x16xf32> {
  // expected-error @+1 {{query sequence length (T) mismatch: 'o' has 32 but 'q' has 64}}
  %o = attn.softmax_attention %q, %q, %q
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x32x2x16xf32>
  return %o : tensor<1x32x2x16xf32>
}

// -----

// The linear family has one sequence length: k and v must have q's T.
func.func @linear_seq_len_mismatch(%q: tensor<1x32x2x16xf32>, %k: tensor<1x64x2x16xf32>) -> tensor<1x32x2x16xf32> {
  // expected-error @+1 {{'attn.linear_attention' op sequence length (T) mismatch: 'k' has 64 but 'q' has 32}}
  %o = attn.linear_attention %q, %k, %k
      : (tensor<1x32x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x32x2x16xf32>
  return %o : tensor<1x32x2x16xf32>
}

// -----

func.func @causal_softmax_tq_gt_tk(%q: tensor<1x64x2x16xf32>, %k: tensor<1x32x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{causal softmax attention needs Tq <= Tk (the queries are the last Tq of the Tk positions), got Tq = 64, Tk = 32}}
  %o = attn.softmax_attention %q, %k, %k
      : (tensor<1x64x2x16xf32>, tensor<1x32x2x16xf32>, tensor<1x32x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

//===----------------------------------------------------------------------===//
// scale
//===----------------------------------------------------------------------===//

func.func @scale_zero(%q: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'scale' must be positive and finite, got 0}}
  %o = attn.softmax_attention %q, %q, %q {scale = 0.0 : f64}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @scale_negative(%q: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'scale' must be positive and finite, got -0.125}}
  %o = attn.linear_attention %q, %q, %q {scale = -0.125 : f64}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @scale_inf(%q: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'scale' must be positive and finite, got inf}}
  %o = attn.softmax_attention %q, %q, %q {scale = 0x7FF0000000000000 : f64}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @scale_nan(%q: tensor<1x64x2x16xf32>, %g: tensor<1x64x2xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'scale' must be positive and finite, got nan}}
  %o = attn.gated_linear_attention %q, %q, %q, %g {scale = 0x7FF8000000000000 : f64}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

// Finite in f64 but not in f32, where the arithmetic happens.
func.func @scale_f32_overflow(%q: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'scale' must be within the normal range of f32 (the arithmetic is f32): between 1.17549e-38 and 3.40282e+38, got 1e+300}}
  %o = attn.linear_attention %q, %q, %q {scale = 1.0e300}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @scale_f32_underflow(%q: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'scale' must be within the normal range of f32 (the arithmetic is f32): between 1.17549e-38 and 3.40282e+38, got 1e-300}}
  %o = attn.softmax_attention %q, %q, %q {scale = 1.0e-300}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

//===----------------------------------------------------------------------===//
// initial_state and final_state
//===----------------------------------------------------------------------===//

func.func @initial_state_rank(%q: tensor<1x64x2x16xf32>, %s0: tensor<2x16x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'initial_state' must be a rank-4 tensor [B, H, Dk, Dv], got 'tensor<2x16x16xf32>'}}
  %o = attn.linear_attention %q, %q, %q initial_state(%s0)
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<2x16x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @initial_state_element_type(%q: tensor<1x64x2x16xbf16>, %s0: tensor<1x2x16x16xbf16>) -> tensor<1x64x2x16xbf16> {
  // expected-error @+1 {{'initial_state' element type must be f32, got 'bf16'}}
  %o = attn.linear_attention %q, %q, %q initial_state(%s0)
      : (tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>, tensor<1x2x16x16xbf16>) -> tensor<1x64x2x16xbf16>
  return %o : tensor<1x64x2x16xbf16>
}

// -----

func.func @initial_state_shape(%q: tensor<1x64x2x16xf32>, %v: tensor<1x64x2x8xf32>, %g: tensor<1x64x2xf32>,
                               %s0: tensor<1x2x8x16xf32>) -> tensor<1x64x2x8xf32> {
  // expected-error @+1 {{'initial_state' must have shape [B, H, Dk, Dv] = [1, 2, 16, 8], got [1, 2, 8, 16]}}
  %o = attn.gated_linear_attention %q, %q, %v, %g initial_state(%s0)
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x8xf32>, tensor<1x64x2xf32>,
         tensor<1x2x8x16xf32>) -> tensor<1x64x2x8xf32>
  return %o : tensor<1x64x2x8xf32>
}

// -----

func.func @initial_state_zero_sized(%q: tensor<1x64x2x16xf32>, %beta: tensor<1x64x2xf32>,
                                    %s0: tensor<1x0x16x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'initial_state' has a zero-sized dimension: 'tensor<1x0x16x16xf32>'}}
  %o = attn.delta_rule %q, %q, %q, %beta initial_state(%s0)
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2xf32>,
         tensor<1x0x16x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @final_state_shape(%q: tensor<2x64x4x16xf32>) -> (tensor<2x64x4x16xf32>, tensor<2x4x16x32xf32>) {
  // expected-error @+1 {{'final_state' must have shape [B, H, Dk, Dv] = [2, 4, 16, 16], got [2, 4, 16, 32]}}
  %o, %s = attn.linear_attention %q, %q, %q
      : (tensor<2x64x4x16xf32>, tensor<2x64x4x16xf32>, tensor<2x64x4x16xf32>)
      -> (tensor<2x64x4x16xf32>, tensor<2x4x16x32xf32>)
  return %o, %s : tensor<2x64x4x16xf32>, tensor<2x4x16x32xf32>
}

// -----

func.func @final_state_element_type(%q: tensor<1x64x2x16xf16>, %beta: tensor<1x64x2xf16>)
    -> (tensor<1x64x2x16xf16>, tensor<1x2x16x16xf16>) {
  // expected-error @+1 {{'final_state' element type must be f32, got 'f16'}}
  %o, %s = attn.delta_rule %q, %q, %q, %beta
      : (tensor<1x64x2x16xf16>, tensor<1x64x2x16xf16>, tensor<1x64x2x16xf16>, tensor<1x64x2xf16>)
      -> (tensor<1x64x2x16xf16>, tensor<1x2x16x16xf16>)
  return %o, %s : tensor<1x64x2x16xf16>, tensor<1x2x16x16xf16>
}

// -----

func.func @final_state_rank(%q: tensor<1x64x2x16xf32>) -> (tensor<1x64x2x16xf32>, tensor<2x16x16xf32>) {
  // expected-error @+1 {{'final_state' must be a rank-4 tensor [B, H, Dk, Dv], got 'tensor<2x16x16xf32>'}}
  %o, %s = attn.linear_attention %q, %q, %q
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>)
      -> (tensor<1x64x2x16xf32>, tensor<2x16x16xf32>)
  return %o, %s : tensor<1x64x2x16xf32>, tensor<2x16x16xf32>
}

// -----

//===----------------------------------------------------------------------===//
// attn.gated_linear_attention: the gate g
//===----------------------------------------------------------------------===//

func.func @gate_rank(%q: tensor<1x64x2x16xf32>, %g: tensor<1x64xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'g' must be a rank-3 tensor [B, T, H] (scalar gate) or [B, T, H, Dk] (vector gate), got 'tensor<1x64xf32>'}}
  %o = attn.gated_linear_attention %q, %q, %q, %g
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @scalar_gate_shape(%q: tensor<1x64x2x16xf32>, %g: tensor<1x32x2xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'g' must have shape [B, T, H] = [1, 64, 2], got [1, 32, 2]}}
  %o = attn.gated_linear_attention %q, %q, %q, %g
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x32x2xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

// A vector gate is [B, T, H, Dk], not [B, T, H, Dv].
func.func @vector_gate_shape(%q: tensor<1x64x2x16xf32>, %v: tensor<1x64x2x32xf32>, %g: tensor<1x64x2x32xf32>)
    -> tensor<1x64x2x32xf32> {
  // expected-error @+1 {{'g' must have shape [B, T, H, Dk] = [1, 64, 2, 16], got [1, 64, 2, 32]}}
  %o = attn.gated_linear_attention %q, %q, %v, %g
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x32xf32>, tensor<1x64x2x32xf32>) -> tensor<1x64x2x32xf32>
  return %o : tensor<1x64x2x32xf32>
}

// -----

func.func @gate_element_type_f32_inputs(%q: tensor<1x64x2x16xf32>, %g: tensor<1x64x2xf16>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'g' element type must be f32, got 'f16'}}
  %o = attn.gated_linear_attention %q, %q, %q, %g
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2xf16>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @gate_element_type_bf16_inputs(%q: tensor<1x64x2x16xbf16>, %g: tensor<1x64x2x16xf16>) -> tensor<1x64x2x16xbf16> {
  // expected-error @+1 {{'g' element type must be f32 or the element type of 'q', got 'f16'}}
  %o = attn.gated_linear_attention %q, %q, %q, %g
      : (tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>, tensor<1x64x2x16xf16>) -> tensor<1x64x2x16xbf16>
  return %o : tensor<1x64x2x16xbf16>
}

// -----

//===----------------------------------------------------------------------===//
// attn.delta_rule: beta and the gate
//===----------------------------------------------------------------------===//

func.func @beta_rank(%q: tensor<1x64x2x16xf32>, %beta: tensor<1x64x2x1xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'beta' must be a rank-3 tensor [B, T, H], got 'tensor<1x64x2x1xf32>'}}
  %o = attn.delta_rule %q, %q, %q, %beta
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x1xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @beta_shape(%q: tensor<1x64x2x16xf32>, %beta: tensor<1x64x4xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'beta' must have shape [B, T, H] = [1, 64, 2], got [1, 64, 4]}}
  %o = attn.delta_rule %q, %q, %q, %beta
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x4xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @beta_element_type(%q: tensor<1x64x2x16xf32>, %beta: tensor<1x64x2xbf16>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'beta' element type must be f32, got 'bf16'}}
  %o = attn.delta_rule %q, %q, %q, %beta
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2xbf16>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @delta_gate_shape(%q: tensor<1x64x2x16xf32>, %beta: tensor<1x64x2xf32>, %g: tensor<2x64x2xf32>)
    -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'g' must have shape [B, T, H] = [1, 64, 2], got [2, 64, 2]}}
  %o = attn.delta_rule %q, %q, %q, %beta gate(%g)
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2xf32>,
         tensor<2x64x2xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

// The gated delta rule takes a scalar gate only; a [B, T, H, Dk] vector gate
// is rejected.
func.func @delta_vector_gate(%q: tensor<1x64x2x16xf32>, %beta: tensor<1x64x2xf32>, %g: tensor<1x64x2x16xf32>)
    -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'g' of the gated delta rule is a scalar gate [B, T, H]; vector gates exist only on attn.gated_linear_attention}}
  %o = attn.delta_rule %q, %q, %q, %beta gate(%g)
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2xf32>,
         tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @delta_gate_element_type(%q: tensor<1x64x2x16xbf16>, %beta: tensor<1x64x2xbf16>, %g: tensor<1x64x2xf16>)
    -> tensor<1x64x2x16xbf16> {
  // expected-error @+1 {{'g' element type must be f32 or the element type of 'q', got 'f16'}}
  %o = attn.delta_rule %q, %q, %q, %beta gate(%g)
      : (tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>, tensor<1x64x2xbf16>,
         tensor<1x64x2xf16>) -> tensor<1x64x2x16xbf16>
  return %o : tensor<1x64x2x16xbf16>
}

// -----

//===----------------------------------------------------------------------===//
// chunk_size and form
//===----------------------------------------------------------------------===//

func.func @chunk_size_zero(%q: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'chunk_size' must be positive, got 0}}
  %o = attn.linear_attention %q, %q, %q {chunk_size = 0}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @chunk_size_negative(%q: tensor<1x64x2x16xf32>, %g: tensor<1x64x2xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'chunk_size' must be positive, got -64}}
  %o = attn.gated_linear_attention %q, %q, %q, %g {form = #attn.form<chunkwise>, chunk_size = -64}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @form_recurrent_softmax(%q: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{form 'recurrent' applies only to causal ops of the linear family (softmax and non-causal attention have no recurrence)}}
  %o = attn.softmax_attention %q, %q, %q {form = #attn.form<recurrent>}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @form_recurrent_noncausal_linear(%q: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'attn.linear_attention' op form 'recurrent' applies only to causal ops of the linear family}}
  %o = attn.linear_attention %q, %q, %q {causal = false, form = #attn.form<recurrent>}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @form_reassociated_causal_linear(%q: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'attn.linear_attention' op form 'reassociated' applies only to non-causal linear attention}}
  %o = attn.linear_attention %q, %q, %q {form = #attn.form<reassociated>}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @form_reassociated_gated(%q: tensor<1x64x2x16xf32>, %g: tensor<1x64x2xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'attn.gated_linear_attention' op form 'reassociated' applies only to non-causal linear attention}}
  %o = attn.gated_linear_attention %q, %q, %q, %g {form = #attn.form<reassociated>}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @form_reassociated_softmax(%q: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'attn.softmax_attention' op form 'reassociated' applies only to non-causal linear attention}}
  %o = attn.softmax_attention %q, %q, %q {causal = false, form = #attn.form<reassociated>}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @form_chunkwise_noncausal_linear(%q: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{form 'chunkwise' needs a causal op; non-causal linear attention is 'quadratic' or 'reassociated'}}
  %o = attn.linear_attention %q, %q, %q {causal = false, form = #attn.form<chunkwise>}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @gqa_ratio(%q: tensor<1x64x4x16xf32>, %k: tensor<1x64x3x16xf32>) -> tensor<1x64x4x16xf32> {
  // expected-error @+1 {{the query head count (4) must be a multiple of the key/value head count (3) (grouped-query attention)}}
  %o = attn.softmax_attention %q, %k, %k
      : (tensor<1x64x4x16xf32>, tensor<1x64x3x16xf32>, tensor<1x64x3x16xf32>) -> tensor<1x64x4x16xf32>
  return %o : tensor<1x64x4x16xf32>
}

// -----

func.func @gqa_output_heads(%q: tensor<1x64x4x16xf32>, %k: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{head count (H) mismatch: 'o' has 2 but 'q' has 4}}
  %o = attn.linear_attention %q, %k, %k
      : (tensor<1x64x4x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @window_zero(%q: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'window' must be positive, got 0}}
  %o = attn.softmax_attention %q, %q, %q {window = 0}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @window_noncausal(%q: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'window' (sliding-window attention) needs causal = true}}
  %o = attn.softmax_attention %q, %q, %q {causal = false, window = 8}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

//===----------------------------------------------------------------------===//
// Packed sequences (cu_seqlens)
//===----------------------------------------------------------------------===//

// -----

func.func @cu_seqlens_rank(%q: tensor<1x64x2x16xf32>, %cu: tensor<1x4xi32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'cu_seqlens' must be a rank-1 tensor [N + 1] of offsets, got 'tensor<1x4xi32>'}}
  %o = attn.softmax_attention %q, %q, %q cu_seqlens(%cu)
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x4xi32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @cu_seqlens_i64(%q: tensor<1x64x2x16xf32>, %cu: tensor<4xi64>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'cu_seqlens' element type must be i32, got 'i64'}}
  %o = attn.linear_attention %q, %q, %q cu_seqlens(%cu)
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<4xi64>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @cu_seqlens_float(%q: tensor<1x64x2x16xf32>, %g: tensor<1x64x2xf32>, %cu: tensor<4xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'cu_seqlens' element type must be i32, got 'f32'}}
  %o = attn.gated_linear_attention %q, %q, %q, %g cu_seqlens(%cu)
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2xf32>, tensor<4xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @cu_seqlens_one_offset(%q: tensor<1x64x2x16xf32>, %b: tensor<1x64x2xf32>, %cu: tensor<1xi32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'cu_seqlens' must hold N + 1 >= 2 offsets (N >= 1 sequences), got 1}}
  %o = attn.delta_rule %q, %q, %q, %b cu_seqlens(%cu)
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2xf32>, tensor<1xi32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @cu_seqlens_empty(%q: tensor<1x64x2x16xf32>, %cu: tensor<0xi32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'cu_seqlens' has a zero-sized dimension: 'tensor<0xi32>'}}
  %o = attn.linear_attention %q, %q, %q cu_seqlens(%cu)
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<0xi32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @cu_seqlens_batch(%q: tensor<2x64x2x16xf32>, %cu: tensor<4xi32>) -> tensor<2x64x2x16xf32> {
  // expected-error @+1 {{'cu_seqlens' (packed sequences) needs the batch size B to be a static 1, got 2}}
  %o = attn.softmax_attention %q, %q, %q cu_seqlens(%cu)
      : (tensor<2x64x2x16xf32>, tensor<2x64x2x16xf32>, tensor<2x64x2x16xf32>, tensor<4xi32>) -> tensor<2x64x2x16xf32>
  return %o : tensor<2x64x2x16xf32>
}

// -----

func.func @cu_seqlens_dynamic_batch(%q: tensor<?x64x2x16xf32>, %cu: tensor<4xi32>) -> tensor<?x64x2x16xf32> {
  // expected-error @+1 {{'cu_seqlens' (packed sequences) needs the batch size B to be a static 1, got ?}}
  %o = attn.linear_attention %q, %q, %q cu_seqlens(%cu)
      : (tensor<?x64x2x16xf32>, tensor<?x64x2x16xf32>, tensor<?x64x2x16xf32>, tensor<4xi32>) -> tensor<?x64x2x16xf32>
  return %o : tensor<?x64x2x16xf32>
}

// -----

func.func @cu_seqlens_decode(%q: tensor<1x1x2x16xf32>, %k: tensor<1x64x2x16xf32>, %cu: tensor<2xi32>) -> tensor<1x1x2x16xf32> {
  // expected-error @+1 {{'cu_seqlens' packs queries and keys alike and needs Tq = Tk, got Tq = 1, Tk = 64}}
  %o = attn.softmax_attention %q, %k, %k cu_seqlens(%cu)
      : (tensor<1x1x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<2xi32>) -> tensor<1x1x2x16xf32>
  return %o : tensor<1x1x2x16xf32>
}

// -----

func.func @cu_seqlens_state_rows(%q: tensor<1x64x2x16xf32>, %s0: tensor<1x2x16x16xf32>, %cu: tensor<4xi32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'initial_state' must have shape [N, H, Dk, Dv] = [3, 2, 16, 16], got [1, 2, 16, 16]}}
  %o = attn.linear_attention %q, %q, %q initial_state(%s0) cu_seqlens(%cu)
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x2x16x16xf32>, tensor<4xi32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @cu_seqlens_final_state_rows(%q: tensor<1x64x2x16xf32>, %g: tensor<1x64x2xf32>, %cu: tensor<5xi32>) -> (tensor<1x64x2x16xf32>, tensor<3x2x16x16xf32>) {
  // expected-error @+1 {{'final_state' must have shape [N, H, Dk, Dv] = [4, 2, 16, 16], got [3, 2, 16, 16]}}
  %o, %s = attn.gated_linear_attention %q, %q, %q, %g cu_seqlens(%cu)
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2xf32>, tensor<5xi32>) -> (tensor<1x64x2x16xf32>, tensor<3x2x16x16xf32>)
  return %o, %s : tensor<1x64x2x16xf32>, tensor<3x2x16x16xf32>
}

// -----

func.func @cu_seqlens_state_rank(%q: tensor<1x64x2x16xf32>, %b: tensor<1x64x2xf32>, %s0: tensor<2x16x16xf32>, %cu: tensor<3xi32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'initial_state' must be a rank-4 tensor [N, H, Dk, Dv], got 'tensor<2x16x16xf32>'}}
  %o = attn.delta_rule %q, %q, %q, %b initial_state(%s0) cu_seqlens(%cu)
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2xf32>, tensor<2x16x16xf32>, tensor<3xi32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

//===----------------------------------------------------------------------===//
// FAVOR+ projection
//===----------------------------------------------------------------------===//

// -----

func.func @favor_without_projection(%q: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{feature_map 'favor' (FAVOR+) needs the random projection W [m, Dk]: add projection(%w)}}
  %o = attn.linear_attention %q, %q, %q {feature_map = #attn.feature_map<favor>}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @projection_without_favor(%q: tensor<1x64x2x16xf32>, %w: tensor<32x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'projection' is used only by feature_map 'favor', got feature_map 'relu'}}
  %o = attn.linear_attention %q, %q, %q projection(%w) {feature_map = #attn.feature_map<relu>}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<32x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @projection_rank(%q: tensor<1x64x2x16xf32>, %w: tensor<2x32x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'projection' must be a rank-2 tensor [m, Dk], got 'tensor<2x32x16xf32>'}}
  %o = attn.linear_attention %q, %q, %q projection(%w) {feature_map = #attn.feature_map<favor>}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<2x32x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @projection_key_dim(%q: tensor<1x64x2x16xf32>, %w: tensor<32x8xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{key head dim (Dk) mismatch: 'projection' has 8 but 'q' has 16}}
  %o = attn.linear_attention %q, %q, %q projection(%w) {feature_map = #attn.feature_map<favor>}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<32x8xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @projection_type(%q: tensor<1x64x2x16xbf16>, %w: tensor<32x16xf16>) -> tensor<1x64x2x16xbf16> {
  // expected-error @+1 {{'projection' element type must be f32 or the element type of 'q', got 'f16'}}
  %o = attn.linear_attention %q, %q, %q projection(%w) {feature_map = #attn.feature_map<favor>}
      : (tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>, tensor<32x16xf16>) -> tensor<1x64x2x16xbf16>
  return %o : tensor<1x64x2x16xbf16>
}

// -----

func.func @favor_state_key_dim(%q: tensor<1x64x2x16xf32>, %w: tensor<32x16xf32>, %s0: tensor<1x2x16x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'initial_state' must have shape [B, H, Dk, Dv] = [1, 2, 32, 16], got [1, 2, 16, 16]}}
  %o = attn.linear_attention %q, %q, %q projection(%w) initial_state(%s0) {feature_map = #attn.feature_map<favor>, normalize}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<32x16xf32>, tensor<1x2x16x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}
