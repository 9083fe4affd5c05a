// RUN: attn-opt %s -split-input-file -verify-diagnostics

// Every diagnostic of the gradient ops' verifier (AttnVerifiers.cpp,
// verifyGradOp and the ops' own checks).

func.func @do_wrong_shape(%q: tensor<1x8x2x16xf32>, %do: tensor<1x8x2x8xf32>) {
  // expected-error @+1 {{'attn.linear_attention_grad' op 'd_o' must have shape [B, T, Hq, Dv] = [1, 8, 2, 16], got [1, 8, 2, 8]}}
  %dq, %dk, %dv = attn.linear_attention_grad %q, %q, %q, %do
      : (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x8xf32>)
      -> (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>)
  return
}

// -----

func.func @do_wrong_type(%q: tensor<1x8x2x16xf32>, %do: tensor<1x8x2x16xbf16>) {
  // expected-error @+1 {{'d_o' element type 'bf16' must match 'q' ('f32')}}
  %dq, %dk, %dv = attn.linear_attention_grad %q, %q, %q, %do
      : (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xbf16>)
      -> (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>)
  return
}

// -----

func.func @dq_wrong_type(%q: tensor<1x8x2x16xf32>) {
  // expected-error @+1 {{'dq' must have the type of 'q' ('tensor<1x8x2x16xf32>'), got 'tensor<1x8x2x16xbf16>'}}
  %dq, %dk, %dv = attn.linear_attention_grad %q, %q, %q, %q
      : (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>)
      -> (tensor<1x8x2x16xbf16>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>)
  return
}

// -----

func.func @missing_d_initial_state(%q: tensor<1x8x2x16xf32>, %s0: tensor<1x2x16x16xf32>) {
  // expected-error @+1 {{has an 'initial_state' and must return its gradient 'd_initial_state'}}
  %dq, %dk, %dv = attn.linear_attention_grad %q, %q, %q, %q initial_state(%s0)
      : (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x2x16x16xf32>)
      -> (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>)
  return
}

// -----

func.func @extra_d_initial_state(%q: tensor<1x8x2x16xf32>) {
  // expected-error @+1 {{returns 'd_initial_state' but has no 'initial_state'}}
  %dq, %dk, %dv, %ds = attn.linear_attention_grad %q, %q, %q, %q
      : (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>)
      -> (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x2x16x16xf32>)
  return
}

// -----

func.func @d_final_state_shape(%q: tensor<1x8x2x16xf32>, %ds: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{'d_final_state' must have shape [B, H, Dk, Dv] = [1, 2, 16, 16], got [1, 2, 8, 16]}}
  %dq, %dk, %dv = attn.linear_attention_grad %q, %q, %q, %q d_final_state(%ds)
      : (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x2x8x16xf32>)
      -> (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>)
  return
}

// -----

func.func @favor(%q: tensor<1x8x2x16xf32>) {
  // expected-error @+1 {{gradients of feature_map 'favor' (FAVOR+) are not supported yet}}
  %dq, %dk, %dv = attn.linear_attention_grad %q, %q, %q, %q {feature_map = #attn.feature_map<favor>}
      : (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>)
      -> (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>)
  return
}

// -----

func.func @bad_scale(%q: tensor<1x8x2x16xf32>) {
  // expected-error @+1 {{'scale' must be positive and finite, got -1}}
  %dq, %dk, %dv = attn.linear_attention_grad %q, %q, %q, %q {scale = -1.0}
      : (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>)
      -> (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>)
  return
}

// -----

func.func @gqa_heads(%q: tensor<1x8x3x16xf32>, %k: tensor<1x8x2x16xf32>, %do: tensor<1x8x3x16xf32>) {
  // expected-error @+1 {{the query head count (3) must be a multiple of the key/value head count (2)}}
  %dq, %dk, %dv = attn.linear_attention_grad %q, %k, %k, %do
      : (tensor<1x8x3x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x3x16xf32>)
      -> (tensor<1x8x3x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>)
  return
}

// -----

func.func @vector_gate(%q: tensor<1x8x2x16xf32>) {
  // expected-error @+1 {{gradients of a vector gate 'g' [B, T, H, Dk] (GLA) are not supported yet; scalar gates [B, T, H] are}}
  %dq, %dk, %dv, %dg = attn.gated_linear_attention_grad %q, %q, %q, %q, %q
      : (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>)
      -> (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>)
  return
}

// -----

func.func @dg_wrong_type(%q: tensor<1x8x2x16xf32>, %g: tensor<1x8x2xf32>) {
  // expected-error @+1 {{'dg' must have the type of 'g' ('tensor<1x8x2xf32>'), got 'tensor<1x8x2xbf16>'}}
  %dq, %dk, %dv, %dg = attn.gated_linear_attention_grad %q, %q, %q, %g, %q
      : (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2xf32>, tensor<1x8x2x16xf32>)
      -> (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2xbf16>)
  return
}

// -----

func.func @gate_wrong_shape(%q: tensor<1x8x2x16xf32>, %g: tensor<1x8x3xf32>) {
  // expected-error @+1 {{'g' must have shape [B, T, H] = [1, 8, 2], got [1, 8, 3]}}
  %dq, %dk, %dv, %dg = attn.gated_linear_attention_grad %q, %q, %q, %g, %q
      : (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x3xf32>, tensor<1x8x2x16xf32>)
      -> (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x3xf32>)
  return
}

// -----

func.func @time_mismatch(%q: tensor<1x8x2x16xf32>, %k: tensor<1x9x2x16xf32>) {
  // expected-error @+1 {{sequence length (T) mismatch: 'k' has 9 but 'q' has 8}}
  %dq, %dk, %dv = attn.linear_attention_grad %q, %k, %k, %q
      : (tensor<1x8x2x16xf32>, tensor<1x9x2x16xf32>, tensor<1x9x2x16xf32>, tensor<1x8x2x16xf32>)
      -> (tensor<1x8x2x16xf32>, tensor<1x9x2x16xf32>, tensor<1x9x2x16xf32>)
  return
}

// -----

func.func @softmax_tq_gt_tk(%q: tensor<1x9x2x16xf32>, %k: tensor<1x8x2x16xf32>) {
  // expected-error @+1 {{'attn.softmax_attention_grad' op causal softmax attention needs Tq <= Tk, got Tq = 9, Tk = 8}}
  %dq, %dk, %dv = attn.softmax_attention_grad %q, %k, %k, %q
      : (tensor<1x9x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x9x2x16xf32>)
      -> (tensor<1x9x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>)
  return
}

// -----

func.func @softmax_window_noncausal(%q: tensor<1x8x2x16xf32>) {
  // expected-error @+1 {{'window' (sliding-window attention) needs causal = true}}
  %dq, %dk, %dv = attn.softmax_attention_grad %q, %q, %q, %q {causal = false, window = 4}
      : (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>)
      -> (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>)
  return
}

// -----

func.func @softmax_dk_type(%q: tensor<1x8x2x16xf32>) {
  // expected-error @+1 {{'dk' must have the type of 'k' ('tensor<1x8x2x16xf32>'), got 'tensor<1x8x2x16xbf16>'}}
  %dq, %dk, %dv = attn.softmax_attention_grad %q, %q, %q, %q
      : (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>)
      -> (tensor<1x8x2x16xf32>, tensor<1x8x2x16xbf16>, tensor<1x8x2x16xf32>)
  return
}

// -----

func.func @softmax_do_shape(%q: tensor<1x8x2x16xf32>, %do: tensor<1x7x2x16xf32>) {
  // expected-error @+1 {{'d_o' must have shape [B, Tq, Hq, Dv] = [1, 8, 2, 16], got [1, 7, 2, 16]}}
  %dq, %dk, %dv = attn.softmax_attention_grad %q, %q, %q, %do
      : (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x7x2x16xf32>)
      -> (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>)
  return
}

// -----

func.func @delta_missing_dg(%q: tensor<1x8x2x16xf32>, %b: tensor<1x8x2xf32>) {
  // expected-error @+1 {{'attn.delta_rule_grad' op returns dq, dk, dv, dbeta, dg: expected 5 results, got 4}}
  %dq, %dk, %dv, %db = attn.delta_rule_grad %q, %q, %q, %b, %q gate(%b)
      : (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>,
         tensor<1x8x2xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2xf32>)
      -> (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2xf32>)
  return
}

// -----

func.func @delta_vector_gate(%q: tensor<1x8x2x16xf32>, %b: tensor<1x8x2xf32>) {
  // expected-error @+1 {{'g' of the gated delta rule is a scalar gate [B, T, H]}}
  %dq, %dk, %dv, %db, %dg = attn.delta_rule_grad %q, %q, %q, %b, %q gate(%q)
      : (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>,
         tensor<1x8x2xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>)
      -> (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2xf32>, tensor<1x8x2x16xf32>)
  return
}

// -----

func.func @delta_beta_wrong_shape(%q: tensor<1x8x2x16xf32>, %b: tensor<1x8x3xf32>) {
  // expected-error @+1 {{'beta'}}
  %dq, %dk, %dv, %db = attn.delta_rule_grad %q, %q, %q, %b, %q
      : (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>,
         tensor<1x8x3xf32>, tensor<1x8x2x16xf32>)
      -> (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x3xf32>)
  return
}

// -----

func.func @delta_dbeta_wrong_type(%q: tensor<1x8x2x16xf32>, %b: tensor<1x8x2xf32>) {
  // expected-error @+1 {{'dbeta' must have the type of 'beta' ('tensor<1x8x2xf32>'), got 'tensor<1x8x2xbf16>'}}
  %dq, %dk, %dv, %db = attn.delta_rule_grad %q, %q, %q, %b, %q
      : (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>,
         tensor<1x8x2xf32>, tensor<1x8x2x16xf32>)
      -> (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2xbf16>)
  return
}
