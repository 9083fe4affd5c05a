// Input of run.sh (not a lit test by itself).

// Non-causal linear attention: attn's selection (from the consumer's
// registry) reassociates it to phi(Q) (phi(K)^T V), and the consumer's
// pipeline lowers that without a loop over t.
// SELECT-LABEL: func.func @linear
// SELECT:         attn.linear_attention {{.*}}form = #attn.form<reassociated>
// CHECK-LABEL: func.func @linear
// CHECK-NOT:     attn.
// CHECK-NOT:     scf.for
// CHECK:         linalg.generic
// CHECK:         return
func.func @linear(%q: tensor<1x512x2x16xf32>, %k: tensor<1x512x2x16xf32>, %v: tensor<1x512x2x16xf32>) -> tensor<1x512x2x16xf32> {
  %o = attn.linear_attention %q, %k, %v {causal = false, feature_map = #attn.feature_map<elu_plus_one>} : (tensor<1x512x2x16xf32>, tensor<1x512x2x16xf32>, tensor<1x512x2x16xf32>) -> tensor<1x512x2x16xf32>
  return %o : tensor<1x512x2x16xf32>
}
