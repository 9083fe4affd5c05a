// One function per op: the GPU kernels take one attn op on the function's
// arguments (attn-gpu-compile docs/examples/gpu-ops.mlir -o kernels/).
func.func @linear(%q: tensor<2x200x4x64xbf16>, %k: tensor<2x200x4x64xbf16>, %v: tensor<2x200x4x64xbf16>) -> tensor<2x200x4x64xbf16> {
  %o = attn.linear_attention %q, %k, %v : (tensor<2x200x4x64xbf16>, tensor<2x200x4x64xbf16>, tensor<2x200x4x64xbf16>) -> tensor<2x200x4x64xbf16>
  return %o : tensor<2x200x4x64xbf16>
}
func.func @simple_gla(%q: tensor<1x100x2x128xbf16>, %k: tensor<1x100x2x128xbf16>, %v: tensor<1x100x2x128xbf16>, %g: tensor<1x100x2xf32>, %s0: tensor<1x2x128x128xf32>) -> (tensor<1x100x2x128xbf16>, tensor<1x2x128x128xf32>) {
  %o, %s = attn.gated_linear_attention %q, %k, %v, %g initial_state(%s0) : (tensor<1x100x2x128xbf16>, tensor<1x100x2x128xbf16>, tensor<1x100x2x128xbf16>, tensor<1x100x2xf32>, tensor<1x2x128x128xf32>) -> (tensor<1x100x2x128xbf16>, tensor<1x2x128x128xf32>)
  return %o, %s : tensor<1x100x2x128xbf16>, tensor<1x2x128x128xf32>
}
func.func @gla(%q: tensor<1x100x2x64xbf16>, %k: tensor<1x100x2x64xbf16>, %v: tensor<1x100x2x64xbf16>, %g: tensor<1x100x2x64xf32>) -> tensor<1x100x2x64xbf16> {
  %o = attn.gated_linear_attention %q, %k, %v, %g : (tensor<1x100x2x64xbf16>, tensor<1x100x2x64xbf16>, tensor<1x100x2x64xbf16>, tensor<1x100x2x64xf32>) -> tensor<1x100x2x64xbf16>
  return %o : tensor<1x100x2x64xbf16>
}
func.func @gdn(%q: tensor<1x100x2x128xbf16>, %k: tensor<1x100x2x128xbf16>, %v: tensor<1x100x2x128xbf16>, %beta: tensor<1x100x2xbf16>, %g: tensor<1x100x2xf32>) -> (tensor<1x100x2x128xbf16>, tensor<1x2x128x128xf32>) {
  %o, %s = attn.delta_rule %q, %k, %v, %beta gate(%g) : (tensor<1x100x2x128xbf16>, tensor<1x100x2x128xbf16>, tensor<1x100x2x128xbf16>, tensor<1x100x2xbf16>, tensor<1x100x2xf32>) -> (tensor<1x100x2x128xbf16>, tensor<1x2x128x128xf32>)
  return %o, %s : tensor<1x100x2x128xbf16>, tensor<1x2x128x128xf32>
}
func.func @softmax(%q: tensor<1x100x4x128xbf16>, %k: tensor<1x100x2x128xbf16>, %v: tensor<1x100x2x128xbf16>) -> tensor<1x100x4x128xbf16> {
  %o = attn.softmax_attention %q, %k, %v : (tensor<1x100x4x128xbf16>, tensor<1x100x2x128xbf16>, tensor<1x100x2x128xbf16>) -> tensor<1x100x4x128xbf16>
  return %o : tensor<1x100x4x128xbf16>
}
