// Input of run.sh (not a lit test by itself).

// Causal softmax attention over T = 2048: attn's selection picks the
// chunkwise (tiled online-softmax) form and the consumer's pipeline lowers it
// to loops over query and key blocks.
// SELECT-LABEL: func.func @softmax
// SELECT:         attn.softmax_attention {{.*}}form = #attn.form<chunkwise>
// CHECK-LABEL: func.func @softmax
// CHECK-NOT:     attn.
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             math.exp
// CHECK:         return
func.func @softmax(%q: tensor<1x2048x2x32xf32>, %k: tensor<1x2048x2x32xf32>, %v: tensor<1x2048x2x32xf32>) -> tensor<1x2048x2x32xf32> {
  %o = attn.softmax_attention %q, %k, %v : (tensor<1x2048x2x32xf32>, tensor<1x2048x2x32xf32>, tensor<1x2048x2x32xf32>) -> tensor<1x2048x2x32xf32>
  return %o : tensor<1x2048x2x32xf32>
}
