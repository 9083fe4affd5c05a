// RUN: attn-opt %s | attn-opt | FileCheck %s
// RUN: attn-opt %s --mlir-print-op-generic | attn-opt | FileCheck %s

// Round-trip tests of the attn ops: every operand form and attribute parses,
// verifies and prints back in the custom form, with default-valued attributes
// (causal = true, feature_map = identity) elided.

//===----------------------------------------------------------------------===//
// attn.softmax_attention
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @softmax_causal_default
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x64x2x16xf32>, %[[K:[^:]+]]: tensor<1x64x2x16xf32>, %[[V:[^:]+]]: tensor<1x64x2x16xf32>)
func.func @softmax_causal_default(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>,
                                  %v: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // CHECK: %[[O:.+]] = attn.softmax_attention %[[Q]], %[[K]], %[[V]] : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  // CHECK: return %[[O]]
  %o = attn.softmax_attention %q, %k, %v
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>)
      -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// `causal = true` is the default and is elided when printed.
// CHECK-LABEL: func.func @softmax_causal_explicit
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x64x2x16xf32>, %[[K:[^:]+]]: tensor<1x64x2x16xf32>, %[[V:[^:]+]]: tensor<1x64x2x16xf32>)
func.func @softmax_causal_explicit(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>,
                                   %v: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // CHECK: attn.softmax_attention %[[Q]], %[[K]], %[[V]] : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  %o = attn.softmax_attention %q, %k, %v {causal = true}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>)
      -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// CHECK-LABEL: func.func @softmax_noncausal
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x64x2x16xf32>, %[[K:[^:]+]]: tensor<1x64x2x16xf32>, %[[V:[^:]+]]: tensor<1x64x2x16xf32>)
func.func @softmax_noncausal(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>,
                             %v: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // CHECK: attn.softmax_attention %[[Q]], %[[K]], %[[V]] {causal = false} : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  %o = attn.softmax_attention %q, %k, %v {causal = false}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>)
      -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// CHECK-LABEL: func.func @softmax_scale
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x64x2x16xf32>, %[[K:[^:]+]]: tensor<1x64x2x16xf32>, %[[V:[^:]+]]: tensor<1x64x2x16xf32>)
func.func @softmax_scale(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>,
                         %v: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // CHECK: attn.softmax_attention %[[Q]], %[[K]], %[[V]] {scale = 1.250000e-01 : f64} : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  %o = attn.softmax_attention %q, %k, %v {scale = 0.125 : f64}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>)
      -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// Causal with Tq < Tk (the queries are the last Tq positions) and Dv != Dk.
// CHECK-LABEL: func.func @softmax_causal_tq_lt_tk
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<2x16x4x32xf32>, %[[K:[^:]+]]: tensor<2x128x4x32xf32>, %[[V:[^:]+]]: tensor<2x128x4x8xf32>)
func.func @softmax_causal_tq_lt_tk(%q: tensor<2x16x4x32xf32>, %k: tensor<2x128x4x32xf32>,
                                   %v: tensor<2x128x4x8xf32>) -> tensor<2x16x4x8xf32> {
  // CHECK: attn.softmax_attention %[[Q]], %[[K]], %[[V]] : (tensor<2x16x4x32xf32>, tensor<2x128x4x32xf32>, tensor<2x128x4x8xf32>) -> tensor<2x16x4x8xf32>
  %o = attn.softmax_attention %q, %k, %v
      : (tensor<2x16x4x32xf32>, tensor<2x128x4x32xf32>, tensor<2x128x4x8xf32>)
      -> tensor<2x16x4x8xf32>
  return %o : tensor<2x16x4x8xf32>
}

// Non-causal attention has no Tq <= Tk requirement.
// CHECK-LABEL: func.func @softmax_noncausal_tq_gt_tk
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x128x2x16xf32>, %[[K:[^:]+]]: tensor<1x32x2x16xf32>, %[[V:[^:]+]]: tensor<1x32x2x16xf32>)
func.func @softmax_noncausal_tq_gt_tk(%q: tensor<1x128x2x16xf32>, %k: tensor<1x32x2x16xf32>,
                                      %v: tensor<1x32x2x16xf32>) -> tensor<1x128x2x16xf32> {
  // CHECK: attn.softmax_attention %[[Q]], %[[K]], %[[V]] {causal = false} : (tensor<1x128x2x16xf32>, tensor<1x32x2x16xf32>, tensor<1x32x2x16xf32>) -> tensor<1x128x2x16xf32>
  %o = attn.softmax_attention %q, %k, %v {causal = false}
      : (tensor<1x128x2x16xf32>, tensor<1x32x2x16xf32>, tensor<1x32x2x16xf32>)
      -> tensor<1x128x2x16xf32>
  return %o : tensor<1x128x2x16xf32>
}

// CHECK-LABEL: func.func @softmax_bf16
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<2x128x8x64xbf16>, %[[K:[^:]+]]: tensor<2x128x8x64xbf16>, %[[V:[^:]+]]: tensor<2x128x8x64xbf16>)
func.func @softmax_bf16(%q: tensor<2x128x8x64xbf16>, %k: tensor<2x128x8x64xbf16>,
                        %v: tensor<2x128x8x64xbf16>) -> tensor<2x128x8x64xbf16> {
  // CHECK: attn.softmax_attention %[[Q]], %[[K]], %[[V]] {causal = false, scale = 1.250000e-01 : f64} : (tensor<2x128x8x64xbf16>, tensor<2x128x8x64xbf16>, tensor<2x128x8x64xbf16>) -> tensor<2x128x8x64xbf16>
  %o = attn.softmax_attention %q, %k, %v {causal = false, scale = 0.125 : f64}
      : (tensor<2x128x8x64xbf16>, tensor<2x128x8x64xbf16>, tensor<2x128x8x64xbf16>)
      -> tensor<2x128x8x64xbf16>
  return %o : tensor<2x128x8x64xbf16>
}

// CHECK-LABEL: func.func @softmax_f16
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<2x128x8x64xf16>, %[[K:[^:]+]]: tensor<2x128x8x64xf16>, %[[V:[^:]+]]: tensor<2x128x8x64xf16>)
func.func @softmax_f16(%q: tensor<2x128x8x64xf16>, %k: tensor<2x128x8x64xf16>,
                       %v: tensor<2x128x8x64xf16>) -> tensor<2x128x8x64xf16> {
  // CHECK: attn.softmax_attention %[[Q]], %[[K]], %[[V]] : (tensor<2x128x8x64xf16>, tensor<2x128x8x64xf16>, tensor<2x128x8x64xf16>) -> tensor<2x128x8x64xf16>
  %o = attn.softmax_attention %q, %k, %v
      : (tensor<2x128x8x64xf16>, tensor<2x128x8x64xf16>, tensor<2x128x8x64xf16>)
      -> tensor<2x128x8x64xf16>
  return %o : tensor<2x128x8x64xf16>
}

// Softmax may carry the quadratic form and a chunk size.
// CHECK-LABEL: func.func @softmax_form_quadratic
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x64x2x16xf32>, %[[K:[^:]+]]: tensor<1x64x2x16xf32>, %[[V:[^:]+]]: tensor<1x64x2x16xf32>)
func.func @softmax_form_quadratic(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>,
                                  %v: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // CHECK: attn.softmax_attention %[[Q]], %[[K]], %[[V]] {chunk_size = 32 : i64, form = #attn.form<quadratic>} : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  %o = attn.softmax_attention %q, %k, %v {form = #attn.form<quadratic>, chunk_size = 32}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>)
      -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// CHECK-LABEL: func.func @softmax_dynamic
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<?x?x2x16xf32>, %[[K:[^:]+]]: tensor<?x?x2x16xf32>, %[[V:[^:]+]]: tensor<?x?x2x16xf32>)
func.func @softmax_dynamic(%q: tensor<?x?x2x16xf32>, %k: tensor<?x?x2x16xf32>,
                           %v: tensor<?x?x2x16xf32>) -> tensor<?x?x2x16xf32> {
  // CHECK: attn.softmax_attention %[[Q]], %[[K]], %[[V]] : (tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>) -> tensor<?x?x2x16xf32>
  %o = attn.softmax_attention %q, %k, %v
      : (tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>)
      -> tensor<?x?x2x16xf32>
  return %o : tensor<?x?x2x16xf32>
}

// Dynamic sizes are compared only when both sides are static.
// CHECK-LABEL: func.func @softmax_mixed_static_dynamic
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<2x?x?x16xf32>, %[[K:[^:]+]]: tensor<?x64x4x?xf32>, %[[V:[^:]+]]: tensor<2x?x4x8xf32>)
func.func @softmax_mixed_static_dynamic(%q: tensor<2x?x?x16xf32>, %k: tensor<?x64x4x?xf32>,
                                        %v: tensor<2x?x4x8xf32>) -> tensor<?x32x?x?xf32> {
  // CHECK: attn.softmax_attention %[[Q]], %[[K]], %[[V]] : (tensor<2x?x?x16xf32>, tensor<?x64x4x?xf32>, tensor<2x?x4x8xf32>) -> tensor<?x32x?x?xf32>
  %o = attn.softmax_attention %q, %k, %v
      : (tensor<2x?x?x16xf32>, tensor<?x64x4x?xf32>, tensor<2x?x4x8xf32>)
      -> tensor<?x32x?x?xf32>
  return %o : tensor<?x32x?x?xf32>
}

//===----------------------------------------------------------------------===//
// attn.linear_attention
//===----------------------------------------------------------------------===//

// `feature_map = identity` is the default and is elided when printed.
// CHECK-LABEL: func.func @linear_identity
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x64x2x16xf32>, %[[K:[^:]+]]: tensor<1x64x2x16xf32>, %[[V:[^:]+]]: tensor<1x64x2x32xf32>)
func.func @linear_identity(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>,
                           %v: tensor<1x64x2x32xf32>) -> tensor<1x64x2x32xf32> {
  // CHECK: %[[O:.+]] = attn.linear_attention %[[Q]], %[[K]], %[[V]] : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x32xf32>) -> tensor<1x64x2x32xf32>
  // CHECK: return %[[O]]
  %o = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<identity>}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x32xf32>)
      -> tensor<1x64x2x32xf32>
  return %o : tensor<1x64x2x32xf32>
}

// CHECK-LABEL: func.func @linear_elu_plus_one
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x64x2x16xf32>, %[[K:[^:]+]]: tensor<1x64x2x16xf32>, %[[V:[^:]+]]: tensor<1x64x2x16xf32>)
func.func @linear_elu_plus_one(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>,
                               %v: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // CHECK: attn.linear_attention %[[Q]], %[[K]], %[[V]] {feature_map = #attn.feature_map<elu_plus_one>} : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  %o = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<elu_plus_one>}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>)
      -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// CHECK-LABEL: func.func @linear_relu
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x64x2x16xf32>, %[[K:[^:]+]]: tensor<1x64x2x16xf32>, %[[V:[^:]+]]: tensor<1x64x2x16xf32>)
func.func @linear_relu(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>,
                       %v: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // CHECK: attn.linear_attention %[[Q]], %[[K]], %[[V]] {feature_map = #attn.feature_map<relu>} : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  %o = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<relu>}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>)
      -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// CHECK-LABEL: func.func @linear_normalize
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x64x2x16xbf16>, %[[K:[^:]+]]: tensor<1x64x2x16xbf16>, %[[V:[^:]+]]: tensor<1x64x2x16xbf16>)
func.func @linear_normalize(%q: tensor<1x64x2x16xbf16>, %k: tensor<1x64x2x16xbf16>,
                            %v: tensor<1x64x2x16xbf16>) -> tensor<1x64x2x16xbf16> {
  // CHECK: attn.linear_attention %[[Q]], %[[K]], %[[V]] {feature_map = #attn.feature_map<elu_plus_one>, normalize} : (tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>) -> tensor<1x64x2x16xbf16>
  %o = attn.linear_attention %q, %k, %v
      {feature_map = #attn.feature_map<elu_plus_one>, normalize}
      : (tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>)
      -> tensor<1x64x2x16xbf16>
  return %o : tensor<1x64x2x16xbf16>
}

// CHECK-LABEL: func.func @linear_noncausal
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x64x2x16xf16>, %[[K:[^:]+]]: tensor<1x64x2x16xf16>, %[[V:[^:]+]]: tensor<1x64x2x16xf16>)
func.func @linear_noncausal(%q: tensor<1x64x2x16xf16>, %k: tensor<1x64x2x16xf16>,
                            %v: tensor<1x64x2x16xf16>) -> tensor<1x64x2x16xf16> {
  // CHECK: attn.linear_attention %[[Q]], %[[K]], %[[V]] {causal = false, feature_map = #attn.feature_map<relu>, normalize, scale = 2.500000e-01 : f64} : (tensor<1x64x2x16xf16>, tensor<1x64x2x16xf16>, tensor<1x64x2x16xf16>) -> tensor<1x64x2x16xf16>
  %o = attn.linear_attention %q, %k, %v
      {causal = false, feature_map = #attn.feature_map<relu>, normalize, scale = 0.25 : f64}
      : (tensor<1x64x2x16xf16>, tensor<1x64x2x16xf16>, tensor<1x64x2x16xf16>)
      -> tensor<1x64x2x16xf16>
  return %o : tensor<1x64x2x16xf16>
}

// CHECK-LABEL: func.func @linear_initial_state
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x64x2x16xf32>, %[[K:[^:]+]]: tensor<1x64x2x16xf32>, %[[V:[^:]+]]: tensor<1x64x2x8xf32>, %[[S0:[^:]+]]: tensor<1x2x16x8xf32>)
func.func @linear_initial_state(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>,
                                %v: tensor<1x64x2x8xf32>, %s0: tensor<1x2x16x8xf32>)
    -> tensor<1x64x2x8xf32> {
  // CHECK: attn.linear_attention %[[Q]], %[[K]], %[[V]] initial_state(%[[S0]]) : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x8xf32>, tensor<1x2x16x8xf32>) -> tensor<1x64x2x8xf32>
  %o = attn.linear_attention %q, %k, %v initial_state(%s0)
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x8xf32>,
         tensor<1x2x16x8xf32>) -> tensor<1x64x2x8xf32>
  return %o : tensor<1x64x2x8xf32>
}

// CHECK-LABEL: func.func @linear_final_state
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x64x2x16xf32>, %[[K:[^:]+]]: tensor<1x64x2x16xf32>, %[[V:[^:]+]]: tensor<1x64x2x16xf32>)
func.func @linear_final_state(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>,
                              %v: tensor<1x64x2x16xf32>)
    -> (tensor<1x64x2x16xf32>, tensor<1x2x16x16xf32>) {
  // CHECK: %[[O:[^ ,]+]], %[[S:[^ ]+]] = attn.linear_attention %[[Q]], %[[K]], %[[V]] : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> (tensor<1x64x2x16xf32>, tensor<1x2x16x16xf32>)
  // CHECK: return %[[O]], %[[S]]
  %o, %s = attn.linear_attention %q, %k, %v
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>)
      -> (tensor<1x64x2x16xf32>, tensor<1x2x16x16xf32>)
  return %o, %s : tensor<1x64x2x16xf32>, tensor<1x2x16x16xf32>
}

// CHECK-LABEL: func.func @linear_initial_and_final_state
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x64x2x16xf32>, %[[K:[^:]+]]: tensor<1x64x2x16xf32>, %[[V:[^:]+]]: tensor<1x64x2x16xf32>, %[[S0:[^:]+]]: tensor<1x2x16x16xf32>)
func.func @linear_initial_and_final_state(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>,
                                          %v: tensor<1x64x2x16xf32>, %s0: tensor<1x2x16x16xf32>)
    -> (tensor<1x64x2x16xf32>, tensor<1x2x16x16xf32>) {
  // CHECK: %{{[^ ,]+}}, %{{[^ ]+}} = attn.linear_attention %[[Q]], %[[K]], %[[V]] initial_state(%[[S0]]) {feature_map = #attn.feature_map<elu_plus_one>, normalize} : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x2x16x16xf32>) -> (tensor<1x64x2x16xf32>, tensor<1x2x16x16xf32>)
  %o, %s = attn.linear_attention %q, %k, %v initial_state(%s0)
      {feature_map = #attn.feature_map<elu_plus_one>, normalize}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>,
         tensor<1x2x16x16xf32>) -> (tensor<1x64x2x16xf32>, tensor<1x2x16x16xf32>)
  return %o, %s : tensor<1x64x2x16xf32>, tensor<1x2x16x16xf32>
}

// CHECK-LABEL: func.func @linear_form_chunkwise
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x256x2x16xf32>, %[[K:[^:]+]]: tensor<1x256x2x16xf32>, %[[V:[^:]+]]: tensor<1x256x2x16xf32>)
func.func @linear_form_chunkwise(%q: tensor<1x256x2x16xf32>, %k: tensor<1x256x2x16xf32>,
                                 %v: tensor<1x256x2x16xf32>) -> tensor<1x256x2x16xf32> {
  // CHECK: attn.linear_attention %[[Q]], %[[K]], %[[V]] {chunk_size = 64 : i64, form = #attn.form<chunkwise>} : (tensor<1x256x2x16xf32>, tensor<1x256x2x16xf32>, tensor<1x256x2x16xf32>) -> tensor<1x256x2x16xf32>
  %o = attn.linear_attention %q, %k, %v {form = #attn.form<chunkwise>, chunk_size = 64}
      : (tensor<1x256x2x16xf32>, tensor<1x256x2x16xf32>, tensor<1x256x2x16xf32>)
      -> tensor<1x256x2x16xf32>
  return %o : tensor<1x256x2x16xf32>
}

// CHECK-LABEL: func.func @linear_form_recurrent
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x4x2x16xf32>, %[[K:[^:]+]]: tensor<1x4x2x16xf32>, %[[V:[^:]+]]: tensor<1x4x2x16xf32>)
func.func @linear_form_recurrent(%q: tensor<1x4x2x16xf32>, %k: tensor<1x4x2x16xf32>,
                                 %v: tensor<1x4x2x16xf32>) -> tensor<1x4x2x16xf32> {
  // CHECK: attn.linear_attention %[[Q]], %[[K]], %[[V]] {form = #attn.form<recurrent>} : (tensor<1x4x2x16xf32>, tensor<1x4x2x16xf32>, tensor<1x4x2x16xf32>) -> tensor<1x4x2x16xf32>
  %o = attn.linear_attention %q, %k, %v {form = #attn.form<recurrent>}
      : (tensor<1x4x2x16xf32>, tensor<1x4x2x16xf32>, tensor<1x4x2x16xf32>)
      -> tensor<1x4x2x16xf32>
  return %o : tensor<1x4x2x16xf32>
}

// CHECK-LABEL: func.func @linear_form_reassociated
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x64x2x16xf32>, %[[K:[^:]+]]: tensor<1x64x2x16xf32>, %[[V:[^:]+]]: tensor<1x64x2x16xf32>)
func.func @linear_form_reassociated(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>,
                                    %v: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // CHECK: attn.linear_attention %[[Q]], %[[K]], %[[V]] {causal = false, form = #attn.form<reassociated>} : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  %o = attn.linear_attention %q, %k, %v {causal = false, form = #attn.form<reassociated>}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>)
      -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// CHECK-LABEL: func.func @linear_dynamic
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<?x?x2x16xf32>, %[[K:[^:]+]]: tensor<?x?x2x16xf32>, %[[V:[^:]+]]: tensor<?x?x2x16xf32>, %[[S0:[^:]+]]: tensor<?x2x16x16xf32>)
func.func @linear_dynamic(%q: tensor<?x?x2x16xf32>, %k: tensor<?x?x2x16xf32>,
                          %v: tensor<?x?x2x16xf32>, %s0: tensor<?x2x16x16xf32>)
    -> (tensor<?x?x2x16xf32>, tensor<?x2x?x16xf32>) {
  // CHECK: attn.linear_attention %[[Q]], %[[K]], %[[V]] initial_state(%[[S0]]) : (tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?x2x16x16xf32>) -> (tensor<?x?x2x16xf32>, tensor<?x2x?x16xf32>)
  %o, %s = attn.linear_attention %q, %k, %v initial_state(%s0)
      : (tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>,
         tensor<?x2x16x16xf32>) -> (tensor<?x?x2x16xf32>, tensor<?x2x?x16xf32>)
  return %o, %s : tensor<?x?x2x16xf32>, tensor<?x2x?x16xf32>
}

//===----------------------------------------------------------------------===//
// attn.gated_linear_attention
//===----------------------------------------------------------------------===//

// Scalar gate [B, T, H].
// CHECK-LABEL: func.func @gated_scalar_gate
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x64x2x16xf32>, %[[K:[^:]+]]: tensor<1x64x2x16xf32>, %[[V:[^:]+]]: tensor<1x64x2x16xf32>, %[[G:[^:]+]]: tensor<1x64x2xf32>)
func.func @gated_scalar_gate(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>,
                             %v: tensor<1x64x2x16xf32>, %g: tensor<1x64x2xf32>)
    -> tensor<1x64x2x16xf32> {
  // CHECK: %[[O:.+]] = attn.gated_linear_attention %[[Q]], %[[K]], %[[V]], %[[G]] : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2xf32>) -> tensor<1x64x2x16xf32>
  // CHECK: return %[[O]]
  %o = attn.gated_linear_attention %q, %k, %v, %g
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>,
         tensor<1x64x2xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// Vector gate [B, T, H, Dk] (GLA).
// CHECK-LABEL: func.func @gated_vector_gate
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x64x2x16xf32>, %[[K:[^:]+]]: tensor<1x64x2x16xf32>, %[[V:[^:]+]]: tensor<1x64x2x32xf32>, %[[G:[^:]+]]: tensor<1x64x2x16xf32>)
func.func @gated_vector_gate(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>,
                             %v: tensor<1x64x2x32xf32>, %g: tensor<1x64x2x16xf32>)
    -> tensor<1x64x2x32xf32> {
  // CHECK: attn.gated_linear_attention %[[Q]], %[[K]], %[[V]], %[[G]] : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x32xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x32xf32>
  %o = attn.gated_linear_attention %q, %k, %v, %g
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x32xf32>,
         tensor<1x64x2x16xf32>) -> tensor<1x64x2x32xf32>
  return %o : tensor<1x64x2x32xf32>
}

// An f32 gate with bf16 inputs.
// CHECK-LABEL: func.func @gated_bf16_inputs_f32_gate
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x64x2x16xbf16>, %[[K:[^:]+]]: tensor<1x64x2x16xbf16>, %[[V:[^:]+]]: tensor<1x64x2x16xbf16>, %[[G:[^:]+]]: tensor<1x64x2x16xf32>)
func.func @gated_bf16_inputs_f32_gate(%q: tensor<1x64x2x16xbf16>, %k: tensor<1x64x2x16xbf16>,
                                      %v: tensor<1x64x2x16xbf16>, %g: tensor<1x64x2x16xf32>)
    -> tensor<1x64x2x16xbf16> {
  // CHECK: attn.gated_linear_attention %[[Q]], %[[K]], %[[V]], %[[G]] : (tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xbf16>
  %o = attn.gated_linear_attention %q, %k, %v, %g
      : (tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>,
         tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xbf16>
  return %o : tensor<1x64x2x16xbf16>
}

// A gate in the element type of the inputs is accepted too.
// CHECK-LABEL: func.func @gated_bf16_gate
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x64x2x16xbf16>, %[[K:[^:]+]]: tensor<1x64x2x16xbf16>, %[[V:[^:]+]]: tensor<1x64x2x16xbf16>, %[[G:[^:]+]]: tensor<1x64x2xbf16>)
func.func @gated_bf16_gate(%q: tensor<1x64x2x16xbf16>, %k: tensor<1x64x2x16xbf16>,
                           %v: tensor<1x64x2x16xbf16>, %g: tensor<1x64x2xbf16>)
    -> tensor<1x64x2x16xbf16> {
  // CHECK: attn.gated_linear_attention %[[Q]], %[[K]], %[[V]], %[[G]] : (tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>, tensor<1x64x2xbf16>) -> tensor<1x64x2x16xbf16>
  %o = attn.gated_linear_attention %q, %k, %v, %g
      : (tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>,
         tensor<1x64x2xbf16>) -> tensor<1x64x2x16xbf16>
  return %o : tensor<1x64x2x16xbf16>
}

// CHECK-LABEL: func.func @gated_initial_and_final_state
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<2x64x2x16xf16>, %[[K:[^:]+]]: tensor<2x64x2x16xf16>, %[[V:[^:]+]]: tensor<2x64x2x8xf16>, %[[G:[^:]+]]: tensor<2x64x2xf32>, %[[S0:[^:]+]]: tensor<2x2x16x8xf32>)
func.func @gated_initial_and_final_state(%q: tensor<2x64x2x16xf16>, %k: tensor<2x64x2x16xf16>,
                                         %v: tensor<2x64x2x8xf16>, %g: tensor<2x64x2xf32>,
                                         %s0: tensor<2x2x16x8xf32>)
    -> (tensor<2x64x2x8xf16>, tensor<2x2x16x8xf32>) {
  // CHECK: %[[O:[^ ,]+]], %[[S:[^ ]+]] = attn.gated_linear_attention %[[Q]], %[[K]], %[[V]], %[[G]] initial_state(%[[S0]]) {scale = 5.000000e-01 : f64} : (tensor<2x64x2x16xf16>, tensor<2x64x2x16xf16>, tensor<2x64x2x8xf16>, tensor<2x64x2xf32>, tensor<2x2x16x8xf32>) -> (tensor<2x64x2x8xf16>, tensor<2x2x16x8xf32>)
  // CHECK: return %[[O]], %[[S]]
  %o, %s = attn.gated_linear_attention %q, %k, %v, %g initial_state(%s0) {scale = 0.5 : f64}
      : (tensor<2x64x2x16xf16>, tensor<2x64x2x16xf16>, tensor<2x64x2x8xf16>,
         tensor<2x64x2xf32>, tensor<2x2x16x8xf32>)
      -> (tensor<2x64x2x8xf16>, tensor<2x2x16x8xf32>)
  return %o, %s : tensor<2x64x2x8xf16>, tensor<2x2x16x8xf32>
}

// CHECK-LABEL: func.func @gated_form_chunkwise
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x256x2x16xf32>, %[[K:[^:]+]]: tensor<1x256x2x16xf32>, %[[V:[^:]+]]: tensor<1x256x2x16xf32>, %[[G:[^:]+]]: tensor<1x256x2x16xf32>)
func.func @gated_form_chunkwise(%q: tensor<1x256x2x16xf32>, %k: tensor<1x256x2x16xf32>,
                                %v: tensor<1x256x2x16xf32>, %g: tensor<1x256x2x16xf32>)
    -> tensor<1x256x2x16xf32> {
  // CHECK: attn.gated_linear_attention %[[Q]], %[[K]], %[[V]], %[[G]] {chunk_size = 64 : i64, form = #attn.form<chunkwise>} : (tensor<1x256x2x16xf32>, tensor<1x256x2x16xf32>, tensor<1x256x2x16xf32>, tensor<1x256x2x16xf32>) -> tensor<1x256x2x16xf32>
  %o = attn.gated_linear_attention %q, %k, %v, %g {form = #attn.form<chunkwise>, chunk_size = 64}
      : (tensor<1x256x2x16xf32>, tensor<1x256x2x16xf32>, tensor<1x256x2x16xf32>,
         tensor<1x256x2x16xf32>) -> tensor<1x256x2x16xf32>
  return %o : tensor<1x256x2x16xf32>
}

// CHECK-LABEL: func.func @gated_form_recurrent
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x1x2x16xf32>, %[[K:[^:]+]]: tensor<1x1x2x16xf32>, %[[V:[^:]+]]: tensor<1x1x2x16xf32>, %[[G:[^:]+]]: tensor<1x1x2xf32>, %[[S0:[^:]+]]: tensor<1x2x16x16xf32>)
func.func @gated_form_recurrent(%q: tensor<1x1x2x16xf32>, %k: tensor<1x1x2x16xf32>,
                                %v: tensor<1x1x2x16xf32>, %g: tensor<1x1x2xf32>,
                                %s0: tensor<1x2x16x16xf32>)
    -> (tensor<1x1x2x16xf32>, tensor<1x2x16x16xf32>) {
  // CHECK: attn.gated_linear_attention %[[Q]], %[[K]], %[[V]], %[[G]] initial_state(%[[S0]]) {form = #attn.form<recurrent>} : (tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2xf32>, tensor<1x2x16x16xf32>) -> (tensor<1x1x2x16xf32>, tensor<1x2x16x16xf32>)
  %o, %s = attn.gated_linear_attention %q, %k, %v, %g initial_state(%s0)
      {form = #attn.form<recurrent>}
      : (tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>,
         tensor<1x1x2xf32>, tensor<1x2x16x16xf32>)
      -> (tensor<1x1x2x16xf32>, tensor<1x2x16x16xf32>)
  return %o, %s : tensor<1x1x2x16xf32>, tensor<1x2x16x16xf32>
}

// CHECK-LABEL: func.func @gated_dynamic
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<?x?x2x16xf32>, %[[K:[^:]+]]: tensor<?x?x2x16xf32>, %[[V:[^:]+]]: tensor<?x?x2x16xf32>, %[[G:[^:]+]]: tensor<?x?x2x?xf32>)
func.func @gated_dynamic(%q: tensor<?x?x2x16xf32>, %k: tensor<?x?x2x16xf32>,
                         %v: tensor<?x?x2x16xf32>, %g: tensor<?x?x2x?xf32>)
    -> tensor<?x?x2x16xf32> {
  // CHECK: attn.gated_linear_attention %[[Q]], %[[K]], %[[V]], %[[G]] : (tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x?xf32>) -> tensor<?x?x2x16xf32>
  %o = attn.gated_linear_attention %q, %k, %v, %g
      : (tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>,
         tensor<?x?x2x?xf32>) -> tensor<?x?x2x16xf32>
  return %o : tensor<?x?x2x16xf32>
}

//===----------------------------------------------------------------------===//
// attn.delta_rule
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @delta_plain
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x64x2x16xf32>, %[[K:[^:]+]]: tensor<1x64x2x16xf32>, %[[V:[^:]+]]: tensor<1x64x2x16xf32>, %[[BETA:[^:]+]]: tensor<1x64x2xf32>)
func.func @delta_plain(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>,
                       %v: tensor<1x64x2x16xf32>, %beta: tensor<1x64x2xf32>)
    -> tensor<1x64x2x16xf32> {
  // CHECK: %[[O:.+]] = attn.delta_rule %[[Q]], %[[K]], %[[V]], %[[BETA]] : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2xf32>) -> tensor<1x64x2x16xf32>
  // CHECK: return %[[O]]
  %o = attn.delta_rule %q, %k, %v, %beta
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>,
         tensor<1x64x2xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// Gated delta rule.
// CHECK-LABEL: func.func @delta_gate
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x64x2x16xbf16>, %[[K:[^:]+]]: tensor<1x64x2x16xbf16>, %[[V:[^:]+]]: tensor<1x64x2x16xbf16>, %[[BETA:[^:]+]]: tensor<1x64x2xbf16>, %[[G:[^:]+]]: tensor<1x64x2xf32>)
func.func @delta_gate(%q: tensor<1x64x2x16xbf16>, %k: tensor<1x64x2x16xbf16>,
                      %v: tensor<1x64x2x16xbf16>, %beta: tensor<1x64x2xbf16>,
                      %g: tensor<1x64x2xf32>) -> tensor<1x64x2x16xbf16> {
  // CHECK: attn.delta_rule %[[Q]], %[[K]], %[[V]], %[[BETA]] gate(%[[G]]) : (tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>, tensor<1x64x2xbf16>, tensor<1x64x2xf32>) -> tensor<1x64x2x16xbf16>
  %o = attn.delta_rule %q, %k, %v, %beta gate(%g)
      : (tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>,
         tensor<1x64x2xbf16>, tensor<1x64x2xf32>) -> tensor<1x64x2x16xbf16>
  return %o : tensor<1x64x2x16xbf16>
}

// CHECK-LABEL: func.func @delta_initial_state
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x64x2x16xf32>, %[[K:[^:]+]]: tensor<1x64x2x16xf32>, %[[V:[^:]+]]: tensor<1x64x2x8xf32>, %[[BETA:[^:]+]]: tensor<1x64x2xf32>, %[[S0:[^:]+]]: tensor<1x2x16x8xf32>)
func.func @delta_initial_state(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>,
                               %v: tensor<1x64x2x8xf32>, %beta: tensor<1x64x2xf32>,
                               %s0: tensor<1x2x16x8xf32>) -> tensor<1x64x2x8xf32> {
  // CHECK: attn.delta_rule %[[Q]], %[[K]], %[[V]], %[[BETA]] initial_state(%[[S0]]) : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x8xf32>, tensor<1x64x2xf32>, tensor<1x2x16x8xf32>) -> tensor<1x64x2x8xf32>
  %o = attn.delta_rule %q, %k, %v, %beta initial_state(%s0)
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x8xf32>,
         tensor<1x64x2xf32>, tensor<1x2x16x8xf32>) -> tensor<1x64x2x8xf32>
  return %o : tensor<1x64x2x8xf32>
}

// Gate, initial state and final state together.
// CHECK-LABEL: func.func @delta_gate_and_initial_state
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x64x2x16xbf16>, %[[K:[^:]+]]: tensor<1x64x2x16xbf16>, %[[V:[^:]+]]: tensor<1x64x2x16xbf16>, %[[BETA:[^:]+]]: tensor<1x64x2xf32>, %[[G:[^:]+]]: tensor<1x64x2xf32>, %[[S0:[^:]+]]: tensor<1x2x16x16xf32>)
func.func @delta_gate_and_initial_state(%q: tensor<1x64x2x16xbf16>, %k: tensor<1x64x2x16xbf16>,
                                        %v: tensor<1x64x2x16xbf16>, %beta: tensor<1x64x2xf32>,
                                        %g: tensor<1x64x2xf32>, %s0: tensor<1x2x16x16xf32>)
    -> (tensor<1x64x2x16xbf16>, tensor<1x2x16x16xf32>) {
  // CHECK: %[[O:[^ ,]+]], %[[S:[^ ]+]] = attn.delta_rule %[[Q]], %[[K]], %[[V]], %[[BETA]] gate(%[[G]]) initial_state(%[[S0]]) : (tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>, tensor<1x64x2xf32>, tensor<1x64x2xf32>, tensor<1x2x16x16xf32>) -> (tensor<1x64x2x16xbf16>, tensor<1x2x16x16xf32>)
  // CHECK: return %[[O]], %[[S]]
  %o, %s = attn.delta_rule %q, %k, %v, %beta gate(%g) initial_state(%s0)
      : (tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>,
         tensor<1x64x2xf32>, tensor<1x64x2xf32>, tensor<1x2x16x16xf32>)
      -> (tensor<1x64x2x16xbf16>, tensor<1x2x16x16xf32>)
  return %o, %s : tensor<1x64x2x16xbf16>, tensor<1x2x16x16xf32>
}

// CHECK-LABEL: func.func @delta_final_state_only
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x64x2x16xf32>, %[[K:[^:]+]]: tensor<1x64x2x16xf32>, %[[V:[^:]+]]: tensor<1x64x2x16xf32>, %[[BETA:[^:]+]]: tensor<1x64x2xf32>)
func.func @delta_final_state_only(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>,
                                  %v: tensor<1x64x2x16xf32>, %beta: tensor<1x64x2xf32>)
    -> (tensor<1x64x2x16xf32>, tensor<1x2x16x16xf32>) {
  // CHECK: %{{[^ ,]+}}, %{{[^ ]+}} = attn.delta_rule %[[Q]], %[[K]], %[[V]], %[[BETA]] : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2xf32>) -> (tensor<1x64x2x16xf32>, tensor<1x2x16x16xf32>)
  %o, %s = attn.delta_rule %q, %k, %v, %beta
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>,
         tensor<1x64x2xf32>) -> (tensor<1x64x2x16xf32>, tensor<1x2x16x16xf32>)
  return %o, %s : tensor<1x64x2x16xf32>, tensor<1x2x16x16xf32>
}

// CHECK-LABEL: func.func @delta_form_chunkwise
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x256x2x16xf32>, %[[K:[^:]+]]: tensor<1x256x2x16xf32>, %[[V:[^:]+]]: tensor<1x256x2x16xf32>, %[[BETA:[^:]+]]: tensor<1x256x2xf32>, %[[G:[^:]+]]: tensor<1x256x2xf32>)
func.func @delta_form_chunkwise(%q: tensor<1x256x2x16xf32>, %k: tensor<1x256x2x16xf32>,
                                %v: tensor<1x256x2x16xf32>, %beta: tensor<1x256x2xf32>,
                                %g: tensor<1x256x2xf32>) -> tensor<1x256x2x16xf32> {
  // CHECK: attn.delta_rule %[[Q]], %[[K]], %[[V]], %[[BETA]] gate(%[[G]]) {chunk_size = 64 : i64, form = #attn.form<chunkwise>, scale = 2.500000e-01 : f64} : (tensor<1x256x2x16xf32>, tensor<1x256x2x16xf32>, tensor<1x256x2x16xf32>, tensor<1x256x2xf32>, tensor<1x256x2xf32>) -> tensor<1x256x2x16xf32>
  %o = attn.delta_rule %q, %k, %v, %beta gate(%g)
      {form = #attn.form<chunkwise>, chunk_size = 64, scale = 0.25 : f64}
      : (tensor<1x256x2x16xf32>, tensor<1x256x2x16xf32>, tensor<1x256x2x16xf32>,
         tensor<1x256x2xf32>, tensor<1x256x2xf32>) -> tensor<1x256x2x16xf32>
  return %o : tensor<1x256x2x16xf32>
}

// CHECK-LABEL: func.func @delta_dynamic
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<?x?x2x16xf32>, %[[K:[^:]+]]: tensor<?x?x2x16xf32>, %[[V:[^:]+]]: tensor<?x?x2x16xf32>, %[[BETA:[^:]+]]: tensor<?x?x2xf32>, %[[G:[^:]+]]: tensor<?x?x?xf32>, %[[S0:[^:]+]]: tensor<?x2x16x16xf32>)
func.func @delta_dynamic(%q: tensor<?x?x2x16xf32>, %k: tensor<?x?x2x16xf32>,
                         %v: tensor<?x?x2x16xf32>, %beta: tensor<?x?x2xf32>,
                         %g: tensor<?x?x?xf32>, %s0: tensor<?x2x16x16xf32>)
    -> (tensor<?x?x2x16xf32>, tensor<?x2x16x16xf32>) {
  // CHECK: attn.delta_rule %[[Q]], %[[K]], %[[V]], %[[BETA]] gate(%[[G]]) initial_state(%[[S0]]) : (tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2xf32>, tensor<?x?x?xf32>, tensor<?x2x16x16xf32>) -> (tensor<?x?x2x16xf32>, tensor<?x2x16x16xf32>)
  %o, %s = attn.delta_rule %q, %k, %v, %beta gate(%g) initial_state(%s0)
      : (tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>,
         tensor<?x?x2xf32>, tensor<?x?x?xf32>, tensor<?x2x16x16xf32>)
      -> (tensor<?x?x2x16xf32>, tensor<?x2x16x16xf32>)
  return %o, %s : tensor<?x?x2x16xf32>, tensor<?x2x16x16xf32>
}

//===----------------------------------------------------------------------===//
// Packed sequences (cu_seqlens) and the FAVOR+ projection
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @softmax_packed
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x64x8x16xf32>, %[[K:[^:]+]]: tensor<1x64x2x16xf32>, %[[CU:[^:]+]]: tensor<5xi32>)
func.func @softmax_packed(%q: tensor<1x64x8x16xf32>, %k: tensor<1x64x2x16xf32>,
                          %cu: tensor<5xi32>) -> tensor<1x64x8x16xf32> {
  // CHECK: attn.softmax_attention %[[Q]], %[[K]], %[[K]] cu_seqlens(%[[CU]]) {window = 8 : i64} : (tensor<1x64x8x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<5xi32>) -> tensor<1x64x8x16xf32>
  %o = attn.softmax_attention %q, %k, %k cu_seqlens(%cu) {window = 8}
      : (tensor<1x64x8x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>,
         tensor<5xi32>) -> tensor<1x64x8x16xf32>
  return %o : tensor<1x64x8x16xf32>
}

// CHECK-LABEL: func.func @linear_packed_favor
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x64x2x16xf32>, %[[W:[^:]+]]: tensor<32x16xf32>, %[[S0:[^:]+]]: tensor<3x2x32x16xf32>, %[[CU:[^:]+]]: tensor<4xi32>)
func.func @linear_packed_favor(%q: tensor<1x64x2x16xf32>, %w: tensor<32x16xf32>,
                               %s0: tensor<3x2x32x16xf32>, %cu: tensor<4xi32>)
    -> (tensor<1x64x2x16xf32>, tensor<3x2x32x16xf32>) {
  // CHECK: attn.linear_attention %[[Q]], %[[Q]], %[[Q]] projection(%[[W]]) initial_state(%[[S0]]) cu_seqlens(%[[CU]]) {feature_map = #attn.feature_map<favor>, normalize} : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<32x16xf32>, tensor<3x2x32x16xf32>, tensor<4xi32>) -> (tensor<1x64x2x16xf32>, tensor<3x2x32x16xf32>)
  %o, %s = attn.linear_attention %q, %q, %q projection(%w) initial_state(%s0)
      cu_seqlens(%cu) {feature_map = #attn.feature_map<favor>, normalize}
      : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>,
         tensor<32x16xf32>, tensor<3x2x32x16xf32>, tensor<4xi32>)
      -> (tensor<1x64x2x16xf32>, tensor<3x2x32x16xf32>)
  return %o, %s : tensor<1x64x2x16xf32>, tensor<3x2x32x16xf32>
}

// CHECK-LABEL: func.func @gated_packed
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x?x2x16xf32>, %[[G:[^:]+]]: tensor<1x?x2x16xf32>, %[[CU:[^:]+]]: tensor<?xi32>)
func.func @gated_packed(%q: tensor<1x?x2x16xf32>, %g: tensor<1x?x2x16xf32>,
                        %cu: tensor<?xi32>)
    -> (tensor<1x?x2x16xf32>, tensor<?x2x16x16xf32>) {
  // CHECK: attn.gated_linear_attention %[[Q]], %[[Q]], %[[Q]], %[[G]] cu_seqlens(%[[CU]]) : (tensor<1x?x2x16xf32>, tensor<1x?x2x16xf32>, tensor<1x?x2x16xf32>, tensor<1x?x2x16xf32>, tensor<?xi32>) -> (tensor<1x?x2x16xf32>, tensor<?x2x16x16xf32>)
  %o, %s = attn.gated_linear_attention %q, %q, %q, %g cu_seqlens(%cu)
      : (tensor<1x?x2x16xf32>, tensor<1x?x2x16xf32>, tensor<1x?x2x16xf32>,
         tensor<1x?x2x16xf32>, tensor<?xi32>)
      -> (tensor<1x?x2x16xf32>, tensor<?x2x16x16xf32>)
  return %o, %s : tensor<1x?x2x16xf32>, tensor<?x2x16x16xf32>
}

// CHECK-LABEL: func.func @delta_packed
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x64x2x16xbf16>, %[[B:[^:]+]]: tensor<1x64x2xf32>, %[[G:[^:]+]]: tensor<1x64x2xf32>, %[[S0:[^:]+]]: tensor<2x2x16x16xf32>, %[[CU:[^:]+]]: tensor<3xi32>)
func.func @delta_packed(%q: tensor<1x64x2x16xbf16>, %b: tensor<1x64x2xf32>,
                        %g: tensor<1x64x2xf32>, %s0: tensor<2x2x16x16xf32>,
                        %cu: tensor<3xi32>) -> tensor<1x64x2x16xbf16> {
  // CHECK: attn.delta_rule %[[Q]], %[[Q]], %[[Q]], %[[B]] gate(%[[G]]) initial_state(%[[S0]]) cu_seqlens(%[[CU]]) : (tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>, tensor<1x64x2xf32>, tensor<1x64x2xf32>, tensor<2x2x16x16xf32>, tensor<3xi32>) -> tensor<1x64x2x16xbf16>
  %o = attn.delta_rule %q, %q, %q, %b gate(%g) initial_state(%s0) cu_seqlens(%cu)
      : (tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>,
         tensor<1x64x2xf32>, tensor<1x64x2xf32>, tensor<2x2x16x16xf32>,
         tensor<3xi32>) -> tensor<1x64x2x16xbf16>
  return %o : tensor<1x64x2x16xbf16>
}
