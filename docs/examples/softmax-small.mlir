// A small causal softmax attention layer for the C example
// (docs/examples/call_softmax.c): attn-compile turns it into a shared
// library exporting _mlir_ciface_softmax.
func.func @softmax(%q: tensor<1x8x2x16xf32>, %k: tensor<1x8x2x16xf32>, %v: tensor<1x8x2x16xf32>) -> tensor<1x8x2x16xf32> {
  %o = attn.softmax_attention %q, %k, %v : (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>) -> tensor<1x8x2x16xf32>
  return %o : tensor<1x8x2x16xf32>
}
