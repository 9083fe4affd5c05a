// RUN: attn-opt %s -split-input-file --attn-lower-to-reference | FileCheck %s

// Causal linear attention is the recurrence over t: an scf.for carrying the
// f32 state and the output, one rank-1 update and one contraction per step.
// CHECK-LABEL: func.func @linear_causal
// CHECK-NOT:     attn.
// CHECK:         %[[LOOP:.*]]:2 = scf.for %[[T:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[S:.*]] = %{{.*}}, %[[O:.*]] = %{{.*}}) -> (tensor<1x2x16x8xf32>, tensor<1x7x2x8xf32>)
// CHECK:           tensor.extract_slice %{{.*}}[0, %[[T]], 0, 0] [1, 1, 2, 16] [1, 1, 1, 1] : tensor<1x7x2x16xbf16> to tensor<1x1x2x16xbf16>
// CHECK:           linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel"]{{.*}} outs(%[[S]] : tensor<1x2x16x8xf32>)
// CHECK:             arith.extf
// CHECK:           linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK:           %[[INS:.*]] = tensor.insert_slice %{{.*}} into %[[O]][0, %[[T]], 0, 0] [1, 1, 2, 8]
// CHECK:           scf.yield %{{.*}}, %[[INS]]
// CHECK:         linalg.generic
// CHECK:           arith.truncf %{{.*}} : f32 to bf16
// CHECK:         return %{{.*}}, %[[LOOP]]#0
func.func @linear_causal(%q: tensor<1x7x2x16xbf16>, %k: tensor<1x7x2x16xbf16>, %v: tensor<1x7x2x8xbf16>) -> (tensor<1x7x2x8xbf16>, tensor<1x2x16x8xf32>) {
  %o, %s = attn.linear_attention %q, %k, %v : (tensor<1x7x2x16xbf16>, tensor<1x7x2x16xbf16>, tensor<1x7x2x8xbf16>) -> (tensor<1x7x2x8xbf16>, tensor<1x2x16x8xf32>)
  return %o, %s : tensor<1x7x2x8xbf16>, tensor<1x2x16x8xf32>
}

// -----

// Non-causal linear attention needs no loop: S = S0 + sum_t phi(k_t) v_t^T
// (the initial state copied first, never written in place), then o = phi(q) S.
// CHECK-LABEL: func.func @linear_noncausal
// CHECK-NOT:     scf.for
// CHECK:         linalg.copy ins(%{{.*}} : tensor<1x2x16x8xf32>)
// CHECK:         linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK:           arith.maximumf
// CHECK:         linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
func.func @linear_noncausal(%q: tensor<1x7x2x16xf32>, %k: tensor<1x7x2x16xf32>, %v: tensor<1x7x2x8xf32>, %s0: tensor<1x2x16x8xf32>) -> tensor<1x7x2x8xf32> {
  %o = attn.linear_attention %q, %k, %v initial_state(%s0) {causal = false, feature_map = #attn.feature_map<relu>} : (tensor<1x7x2x16xf32>, tensor<1x7x2x16xf32>, tensor<1x7x2x8xf32>, tensor<1x2x16x8xf32>) -> tensor<1x7x2x8xf32>
  return %o : tensor<1x7x2x8xf32>
}

// -----

// A vector gate decays row i of the state by exp(g_t[i]), the exps taken
// once per gate element first; step slices keep their unit T dimension,
// indexed by the constant 0.
// CHECK-DAG: #[[GATE:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, 0, d1, d2)>
// CHECK-DAG: #[[STATE:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @gated_vector
// CHECK:         scf.for
// CHECK:           math.exp
// CHECK:           linalg.generic {indexing_maps = [#[[GATE]], #[[STATE]]]
// CHECK-NOT:         math.exp
// CHECK:             arith.mulf
func.func @gated_vector(%q: tensor<1x7x2x16xf32>, %k: tensor<1x7x2x16xf32>, %v: tensor<1x7x2x8xf32>, %g: tensor<1x7x2x16xf32>) -> tensor<1x7x2x8xf32> {
  %o = attn.gated_linear_attention %q, %k, %v, %g : (tensor<1x7x2x16xf32>, tensor<1x7x2x16xf32>, tensor<1x7x2x8xf32>, tensor<1x7x2x16xf32>) -> tensor<1x7x2x8xf32>
  return %o : tensor<1x7x2x8xf32>
}

// -----

// The gated delta rule: decay, then u = beta (v - S^T k), then S += k u^T.
// CHECK-LABEL: func.func @gated_delta
// CHECK:         scf.for
// CHECK:           math.exp
// CHECK:           linalg.generic {{.*}}"reduction"
// CHECK:           linalg.generic
// CHECK:             arith.subf
// CHECK:             arith.mulf
// CHECK:           linalg.generic
// CHECK:           linalg.generic {{.*}}"reduction"
// CHECK:           tensor.insert_slice
func.func @gated_delta(%q: tensor<1x7x2x16xf32>, %k: tensor<1x7x2x16xf32>, %v: tensor<1x7x2x8xf32>, %beta: tensor<1x7x2xf32>, %g: tensor<1x7x2xf32>) -> tensor<1x7x2x8xf32> {
  %o = attn.delta_rule %q, %k, %v, %beta gate(%g) : (tensor<1x7x2x16xf32>, tensor<1x7x2x16xf32>, tensor<1x7x2x8xf32>, tensor<1x7x2xf32>, tensor<1x7x2xf32>) -> tensor<1x7x2x8xf32>
  return %o : tensor<1x7x2x8xf32>
}

// -----

// Softmax attention: scores, masked row max, exp-sum, weighted sum of v. The
// causal mask compares the loop indices (s > t + Tk - Tq).
// CHECK-LABEL: func.func @softmax_causal
// CHECK-NOT:     scf.for
// CHECK:         %[[SCORES:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x5x9xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[SCORES]] : tensor<1x2x5x9xf32>)
// CHECK:           linalg.index 2
// CHECK:           linalg.index 3
// CHECK:           arith.cmpi ugt
// CHECK:           arith.select
// CHECK:         math.exp
// CHECK:         arith.divf
func.func @softmax_causal(%q: tensor<1x5x2x16xf32>, %k: tensor<1x9x2x16xf32>, %v: tensor<1x9x2x8xf32>) -> tensor<1x5x2x8xf32> {
  %o = attn.softmax_attention %q, %k, %v : (tensor<1x5x2x16xf32>, tensor<1x9x2x16xf32>, tensor<1x9x2x8xf32>) -> tensor<1x5x2x8xf32>
  return %o : tensor<1x5x2x8xf32>
}

// -----

// Dynamic sizes are read with tensor.dim; a dynamic Dk gives the default
// scale 1/sqrt(Dk) at run time.
// CHECK-LABEL: func.func @dynamic
// CHECK-DAG:     tensor.dim %{{.*}}, %c1
// CHECK-DAG:     math.rsqrt
// CHECK:         scf.for
func.func @dynamic(%q: tensor<?x?x2x?xf32>, %k: tensor<?x?x2x?xf32>, %v: tensor<?x?x2x8xf32>, %g: tensor<?x?x2xf32>) -> tensor<?x?x2x8xf32> {
  %o = attn.gated_linear_attention %q, %k, %v, %g : (tensor<?x?x2x?xf32>, tensor<?x?x2x?xf32>, tensor<?x?x2x8xf32>, tensor<?x?x2xf32>) -> tensor<?x?x2x8xf32>
  return %o : tensor<?x?x2x8xf32>
}
