// A gated delta rule layer (B=1, T=100, H=4, D=64, bf16) with an initial
// state, returning its output and final state. Run it and check it against
// the float64 reference with:
//   build/bin/attn-run docs/examples/quickstart.mlir --check
func.func @gated_delta(%q: tensor<1x100x4x64xbf16>, %k: tensor<1x100x4x64xbf16>,
                       %v: tensor<1x100x4x64xbf16>, %beta: tensor<1x100x4xf32>,
                       %g: tensor<1x100x4xf32>, %s0: tensor<1x4x64x64xf32>)
    -> (tensor<1x100x4x64xbf16>, tensor<1x4x64x64xf32>) {
  %o, %s = attn.delta_rule %q, %k, %v, %beta gate(%g) initial_state(%s0)
      : (tensor<1x100x4x64xbf16>, tensor<1x100x4x64xbf16>, tensor<1x100x4x64xbf16>,
         tensor<1x100x4xf32>, tensor<1x100x4xf32>, tensor<1x4x64x64xf32>)
      -> (tensor<1x100x4x64xbf16>, tensor<1x4x64x64xf32>)
  return %o, %s : tensor<1x100x4x64xbf16>, tensor<1x4x64x64xf32>
}
