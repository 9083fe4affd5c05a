// A long delta-rule layer (T = 4096): see the cost model's view with
//   build/bin/attn-opt docs/examples/long-delta.mlir --attn-select-form=explain --attn-select-chunk=explain -o /dev/null
func.func @long(%q: tensor<1x4096x8x64xf32>, %k: tensor<1x4096x8x64xf32>, %v: tensor<1x4096x8x64xf32>, %b: tensor<1x4096x8xf32>) -> tensor<1x4096x8x64xf32> {
  %o = attn.delta_rule %q, %k, %v, %b : (tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>, tensor<1x4096x8xf32>) -> tensor<1x4096x8x64xf32>
  return %o : tensor<1x4096x8x64xf32>
}
