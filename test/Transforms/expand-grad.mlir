// RUN: attn-opt %s -split-input-file -attn-expand-grad -verify-diagnostics | FileCheck %s

// Linear attention's gradients are three forward linear attentions: dq on
// (dO, v, k) with the scale, dk and dv on the time-reversed sequences (the
// reversal reads T - 1 - t) with the scale folded into their values and the
// final state's gradient as initial state; the dv call's final state is the
// initial state's gradient.

// CHECK-DAG: #[[REV:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, -d1 + 36, d2, d3)>
// CHECK-LABEL: func.func @linear
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x37x2x8xbf16>, %[[K:[^:]+]]: tensor<1x37x2x8xbf16>, %[[V:[^:]+]]: tensor<1x37x2x4xbf16>, %[[DO:[^:]+]]: tensor<1x37x2x4xbf16>, %[[S0:[^:]+]]: tensor<1x2x8x4xf32>, %[[DS:[^:]+]]: tensor<1x2x8x4xf32>)
// CHECK-NOT: attn.linear_attention_grad
// CHECK: attn.linear_attention %{{.*}}, %{{.*}}, %{{.*}} initial_state(%{{.*}}) {scale = 0.35355339059327373 : f64} : (tensor<1x37x2x4xf32>, tensor<1x37x2x4xf32>, tensor<1x37x2x8xf32>, tensor<1x2x4x8xf32>) -> tensor<1x37x2x8xf32>
// CHECK: linalg.generic {indexing_maps = [#[[REV]],
// CHECK: attn.linear_attention {{.*}} initial_state(%{{.*}}) {scale = 1.000000e+00 : f64} : (tensor<1x37x2x4xf32>, tensor<1x37x2x4xf32>, tensor<1x37x2x8xf32>, tensor<1x2x4x8xf32>) -> tensor<1x37x2x8xf32>
// CHECK: %{{.*}}, %[[FINAL:.*]] = attn.linear_attention {{.*}} initial_state(%[[DS]]) {scale = 1.000000e+00 : f64} : (tensor<1x37x2x8xf32>, tensor<1x37x2x8xf32>, tensor<1x37x2x4xf32>, tensor<1x2x8x4xf32>) -> (tensor<1x37x2x4xf32>, tensor<1x2x8x4xf32>)
// CHECK: return {{.*}}, %[[FINAL]] : tensor<1x37x2x8xbf16>, tensor<1x37x2x8xbf16>, tensor<1x37x2x4xbf16>, tensor<1x2x8x4xf32>
func.func @linear(%q: tensor<1x37x2x8xbf16>, %k: tensor<1x37x2x8xbf16>,
                  %v: tensor<1x37x2x4xbf16>, %do: tensor<1x37x2x4xbf16>,
                  %s0: tensor<1x2x8x4xf32>, %ds: tensor<1x2x8x4xf32>)
    -> (tensor<1x37x2x8xbf16>, tensor<1x37x2x8xbf16>, tensor<1x37x2x4xbf16>, tensor<1x2x8x4xf32>) {
  %dq, %dk, %dv, %ds0 = attn.linear_attention_grad %q, %k, %v, %do
      initial_state(%s0) d_final_state(%ds)
      : (tensor<1x37x2x8xbf16>, tensor<1x37x2x8xbf16>, tensor<1x37x2x4xbf16>,
         tensor<1x37x2x4xbf16>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>)
      -> (tensor<1x37x2x8xbf16>, tensor<1x37x2x8xbf16>, tensor<1x37x2x4xbf16>, tensor<1x2x8x4xf32>)
  return %dq, %dk, %dv, %ds0 : tensor<1x37x2x8xbf16>, tensor<1x37x2x8xbf16>, tensor<1x37x2x4xbf16>, tensor<1x2x8x4xf32>
}

// -----

// The gated op: forward gated ops, the reversed gate (g[(T - r) mod T], 0 at
// r = 0), dg by a reverse scan over T, and the forward's final state
// computed again for d_final_state . final_state.

// CHECK-DAG: #[[SHIFT:.*]] = affine_map<(d0, d1, d2) -> (d0, (-d1) mod 16, d2)>
// CHECK-LABEL: func.func @gated
// CHECK: attn.gated_linear_attention
// CHECK: linalg.generic {indexing_maps = [#[[SHIFT]],
// CHECK: linalg.index 1
// CHECK: scf.for
// CHECK: tensor.extract_slice
// CHECK: tensor.insert_slice
// CHECK: %{{.*}}, %{{.*}} = attn.gated_linear_attention {{.*}} -> (tensor<1x16x2x8xf32>, tensor<1x2x8x8xf32>)
// CHECK-NOT: attn.gated_linear_attention_grad
func.func @gated(%q: tensor<1x16x2x8xf32>, %g: tensor<1x16x2xf32>,
                 %ds: tensor<1x2x8x8xf32>)
    -> (tensor<1x16x2x8xf32>, tensor<1x16x2x8xf32>, tensor<1x16x2x8xf32>, tensor<1x16x2xf32>) {
  %dq, %dk, %dv, %dg = attn.gated_linear_attention_grad %q, %q, %q, %g, %q
      d_final_state(%ds)
      : (tensor<1x16x2x8xf32>, tensor<1x16x2x8xf32>, tensor<1x16x2x8xf32>,
         tensor<1x16x2xf32>, tensor<1x16x2x8xf32>, tensor<1x2x8x8xf32>)
      -> (tensor<1x16x2x8xf32>, tensor<1x16x2x8xf32>, tensor<1x16x2x8xf32>, tensor<1x16x2xf32>)
  return %dq, %dk, %dv, %dg : tensor<1x16x2x8xf32>, tensor<1x16x2x8xf32>, tensor<1x16x2x8xf32>, tensor<1x16x2xf32>
}

// -----

// Grouped-query heads: k and v broadcast to the query heads (h floordiv
// G), dk and dv summed over each group through a [B, T, Hkv, G, D] view.

// CHECK: affine_map<(d0, d1, d2, d3) -> (d0, d1, d2 floordiv 2, d3)>
// CHECK-LABEL: func.func @gqa
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0], [1], [2, 3], [4]] output_shape [1, 8, 1, 2, 16]
func.func @gqa(%q: tensor<1x8x2x16xf32>, %k: tensor<1x8x1x16xf32>)
    -> (tensor<1x8x2x16xf32>, tensor<1x8x1x16xf32>, tensor<1x8x1x16xf32>) {
  %dq, %dk, %dv = attn.linear_attention_grad %q, %k, %k, %q
      : (tensor<1x8x2x16xf32>, tensor<1x8x1x16xf32>, tensor<1x8x1x16xf32>, tensor<1x8x2x16xf32>)
      -> (tensor<1x8x2x16xf32>, tensor<1x8x1x16xf32>, tensor<1x8x1x16xf32>)
  return %dq, %dk, %dv : tensor<1x8x2x16xf32>, tensor<1x8x1x16xf32>, tensor<1x8x1x16xf32>
}

// -----

func.func @dynamic(%q: tensor<1x?x2x16xf32>) {
  // expected-error @+1 {{'attn.linear_attention_grad' op gradients need static shapes (attn-expand-grad), got 'tensor<1x?x2x16xf32>'}}
  %dq, %dk, %dv = attn.linear_attention_grad %q, %q, %q, %q
      : (tensor<1x?x2x16xf32>, tensor<1x?x2x16xf32>, tensor<1x?x2x16xf32>, tensor<1x?x2x16xf32>)
      -> (tensor<1x?x2x16xf32>, tensor<1x?x2x16xf32>, tensor<1x?x2x16xf32>)
  return
}

// -----

// The delta rule's gradients are chunkwise loops, not forward ops, inside an
// scf.forall over (batch, head) on [1, T, 1, D] slices: T = 100 padded to two
// chunks of 64, a forward loop keeping the chunk start states
// ([1, 1, N * Dk, Dv]), then the reverse loop carrying dS and writing each
// chunk's rows of dq, dk, dv, dbeta and dg; each loop solves the chunk's
// triangular system row by row.
// CHECK-LABEL: func.func @delta
// CHECK-NOT: attn.
// CHECK: scf.forall ({{.*}}) in (1, 2) shared_outs({{.*}}) -> (tensor<1x100x2x8xf32>, tensor<1x100x2x8xf32>, tensor<1x100x2x8xf32>, tensor<1x100x2xf32>, tensor<1x100x2xf32>, tensor<1x2x8x8xf32>)
// CHECK: tensor.pad %{{.*}} high[0, 28, 0, 0]
// CHECK: scf.for {{.*}} -> (tensor<1x1x8x8xf32>, tensor<1x1x16x8xf32>)
// CHECK: scf.for {{.*}} to %c64 {{.*}} -> (tensor<1x1x64x64xf32>)
// CHECK: scf.for {{.*}} -> (tensor<1x1x8x8xf32>, tensor<1x128x1x8xf32>, tensor<1x128x1x8xf32>, tensor<1x128x1x8xf32>, tensor<1x128x1xf32>, tensor<1x128x1xf32>)
// CHECK: scf.for {{.*}} to %c64 {{.*}} -> (tensor<1x1x64x64xf32>)
// CHECK: scf.forall.in_parallel
// CHECK-COUNT-6: tensor.parallel_insert_slice
// CHECK-NOT: attn.
// CHECK: return
func.func @delta(%q: tensor<1x100x2x8xf32>, %b: tensor<1x100x2xf32>, %s0: tensor<1x2x8x8xf32>)
    -> (tensor<1x100x2x8xf32>, tensor<1x100x2x8xf32>, tensor<1x100x2x8xf32>, tensor<1x100x2xf32>, tensor<1x100x2xf32>, tensor<1x2x8x8xf32>) {
  %dq, %dk, %dv, %db, %dg, %ds0 = attn.delta_rule_grad %q, %q, %q, %b, %q gate(%b) initial_state(%s0)
      : (tensor<1x100x2x8xf32>, tensor<1x100x2x8xf32>, tensor<1x100x2x8xf32>, tensor<1x100x2xf32>, tensor<1x100x2x8xf32>, tensor<1x100x2xf32>, tensor<1x2x8x8xf32>)
      -> (tensor<1x100x2x8xf32>, tensor<1x100x2x8xf32>, tensor<1x100x2x8xf32>, tensor<1x100x2xf32>, tensor<1x100x2xf32>, tensor<1x2x8x8xf32>)
  return %dq, %dk, %dv, %db, %dg, %ds0 : tensor<1x100x2x8xf32>, tensor<1x100x2x8xf32>, tensor<1x100x2x8xf32>, tensor<1x100x2xf32>, tensor<1x100x2xf32>, tensor<1x2x8x8xf32>
}
