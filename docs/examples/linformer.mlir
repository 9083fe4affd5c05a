// Linformer-style low-rank attention composed from plain tensor ops and one
// attn op: K and V [1, T, H, D] are projected along T by learned E, F
// [P, T] (shared by the heads) to P << T positions, an ordinary matmul on
// the [T, H * D] view of the [B, T, H, D] layout; then non-causal softmax
// attention of the T queries over the P projected keys (Tk = P). The
// projection mixes all positions, so the attention is not causal.
//
//   build/bin/attn-run docs/examples/linformer.mlir
//   (python/tests/test_linformer.py checks it against numpy.)
func.func @linformer(%q: tensor<1x256x4x32xf32>, %k: tensor<1x256x4x32xf32>,
                     %v: tensor<1x256x4x32xf32>, %e: tensor<64x256xf32>,
                     %f: tensor<64x256xf32>) -> tensor<1x256x4x32xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<64x128xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%empty : tensor<64x128xf32>) -> tensor<64x128xf32>
  // [1, T, H, D] -> [T, H * D]: the projection is E @ K.
  %k2 = tensor.collapse_shape %k [[0, 1], [2, 3]] : tensor<1x256x4x32xf32> into tensor<256x128xf32>
  %v2 = tensor.collapse_shape %v [[0, 1], [2, 3]] : tensor<1x256x4x32xf32> into tensor<256x128xf32>
  %kp2 = linalg.matmul ins(%e, %k2 : tensor<64x256xf32>, tensor<256x128xf32>) outs(%acc : tensor<64x128xf32>) -> tensor<64x128xf32>
  %vp2 = linalg.matmul ins(%f, %v2 : tensor<64x256xf32>, tensor<256x128xf32>) outs(%acc : tensor<64x128xf32>) -> tensor<64x128xf32>
  %kp = tensor.expand_shape %kp2 [[0, 1], [2, 3]] output_shape [1, 64, 4, 32] : tensor<64x128xf32> into tensor<1x64x4x32xf32>
  %vp = tensor.expand_shape %vp2 [[0, 1], [2, 3]] output_shape [1, 64, 4, 32] : tensor<64x128xf32> into tensor<1x64x4x32xf32>
  %o = attn.softmax_attention %q, %kp, %vp {causal = false}
      : (tensor<1x256x4x32xf32>, tensor<1x64x4x32xf32>, tensor<1x64x4x32xf32>) -> tensor<1x256x4x32xf32>
  return %o : tensor<1x256x4x32xf32>
}
