// RUN: attn-opt %s -split-input-file --attn-lower-chunkwise | FileCheck %s

// The gated delta rule in chunks of 16: T = 100 is padded to 112 with zeros,
// an scf.for over the 7 chunks carries the state and the output (in its
// final [B, T, H, Dv] layout, each chunk's rows written in place), and
// inside each chunk a loop of 16 steps inverts I + L by forward
// substitution, one row per step.
// CHECK-LABEL: func.func @delta_chunks
// CHECK-NOT:     attn.delta_rule
// CHECK:         tensor.pad %{{.*}} low[0, 0, 0, 0] high[0, 12, 0, 0]
// CHECK:         %[[LOOP:.*]]:2 = scf.for %{{.*}} = %c0 to %c7 step %c1 iter_args(%[[S:.*]] = %{{.*}}, %[[O:.*]] = %{{.*}}) -> (tensor<1x2x16x8xf32>, tensor<1x112x2x8xf32>)
// CHECK:           tensor.extract_slice %{{.*}} [1, 16, 2, 16] [1, 1, 1, 1] : tensor<1x112x2x16xf32> to tensor<1x16x2x16xf32>
// CHECK:           math.exp
// CHECK:           scf.for %[[R:.*]] = %{{.*}} to %c16 {{.*}} -> (tensor<1x2x16x16xf32>)
// CHECK:             tensor.insert_slice %{{.*}}[0, 0, %[[R]], 0] [1, 2, 1, 16]
// CHECK:           tensor.insert_slice %{{.*}} into %[[O]][0, %{{.*}}, 0, 0] [1, 16, 2, 8]
// CHECK:           scf.yield
// CHECK:         tensor.extract_slice %[[LOOP]]#1[0, 0, 0, 0] [1, 100, 2, 8]
// CHECK:         return
func.func @delta_chunks(%q: tensor<1x100x2x16xf32>, %k: tensor<1x100x2x16xf32>, %v: tensor<1x100x2x8xf32>, %b: tensor<1x100x2xf32>, %g: tensor<1x100x2xf32>) -> (tensor<1x100x2x8xf32>, tensor<1x2x16x8xf32>) {
  %o, %s = attn.delta_rule %q, %k, %v, %b gate(%g) {form = #attn.form<chunkwise>, chunk_size = 16} : (tensor<1x100x2x16xf32>, tensor<1x100x2x16xf32>, tensor<1x100x2x8xf32>, tensor<1x100x2xf32>, tensor<1x100x2xf32>) -> (tensor<1x100x2x8xf32>, tensor<1x2x16x8xf32>)
  return %o, %s : tensor<1x100x2x8xf32>, tensor<1x2x16x8xf32>
}

// -----

// Quadratic is one chunk of C = T: no padding.
// CHECK-LABEL: func.func @linear_quadratic
// CHECK-NOT:     tensor.pad
// CHECK:         scf.for %{{.*}} = %c0 to %c1{{.*}} step %c1 {{.*}} -> (tensor<1x2x16x16xf32>, tensor<1x64x2x16xf32>)
func.func @linear_quadratic(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>, %v: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  %o = attn.linear_attention %q, %k, %v {form = #attn.form<quadratic>} : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

// Tiled softmax: a parallel loop over query blocks (taken in the order 0,
// 3, 1, 2 so that halves of the iterations balance the causal work), and for
// each an online-softmax loop over key blocks whose trip count stops at the
// causal diagonal: min(ceil((qStart + C + Tk - Tq) / C), #key blocks). Each
// block's rows go into o's [B, T, H, Dv] layout. Query blocks of 16 rows
// read K transposed once to [B, H, Dk, Tk].
// CHECK-LABEL: func.func @softmax_tiles
// CHECK:         linalg.generic {{.*}} ins(%{{.*}} : tensor<1x112x2x16xf32>) outs(%{{.*}} : tensor<1x2x16x112xf32>)
// CHECK:         scf.forall (%[[I:.*]]) in (4) shared_outs(%[[O:.*]] = %{{.*}}) -> (tensor<1x64x2x8xf32>)
// CHECK:           arith.divui %[[I]], %c2
// CHECK:           arith.remui %[[I]], %c2
// CHECK:           %[[NEED:.*]] = arith.ceildivui %{{.*}}, %c16 : index
// CHECK:           %[[END:.*]] = arith.minui %[[NEED]], %c7 : index
// CHECK:           scf.for %{{.*}} = %c0 to %[[END]] step %c1 iter_args({{.*}}) -> (tensor<1x2x16xf32>, tensor<1x2x16xf32>, tensor<1x2x16x8xf32>)
// CHECK:             arith.maximumf
// CHECK:             math.exp
// CHECK:           arith.divf
// CHECK:           tensor.parallel_insert_slice %{{.*}} into %[[O]][0, %{{.*}}, 0, 0] [1, 16, 2, 8]
// CHECK:         tensor.extract_slice %{{.*}}[0, 0, 0, 0] [1, 50, 2, 8]
func.func @softmax_tiles(%q: tensor<1x50x2x16xf32>, %k: tensor<1x100x2x16xf32>, %v: tensor<1x100x2x8xf32>) -> tensor<1x50x2x8xf32> {
  %o = attn.softmax_attention %q, %k, %v {form = #attn.form<chunkwise>, chunk_size = 16} : (tensor<1x50x2x16xf32>, tensor<1x100x2x16xf32>, tensor<1x100x2x8xf32>) -> tensor<1x50x2x8xf32>
  return %o : tensor<1x50x2x8xf32>
}

// -----

// A decode step (Tq = 1) is one query block of one row, not a block of C
// padded queries: the online-softmax state is [B, H, 1] and each key block
// gives a 1 x C score row of dot products with the rows of K as they are
// (each key is read once: transposing K first would only add a pass).
// CHECK-LABEL: func.func @softmax_decode_tiles
// CHECK-NOT:     tensor<1x2x16x128xf32>
// CHECK:         scf.forall {{.*}} in (1) {{.*}} -> (tensor<1x1x2x8xf32>)
// CHECK-NOT:       arith.remui
// CHECK:           scf.for {{.*}} iter_args({{.*}}) -> (tensor<1x2x1xf32>, tensor<1x2x1xf32>, tensor<1x2x1x8xf32>)
// CHECK:             linalg.generic {{.*}} ins({{.*}} : tensor<1x1x2x16xf32>, tensor<1x32x2x16xf32>) outs(%{{.*}} : tensor<1x2x1x32xf32>)
func.func @softmax_decode_tiles(%q: tensor<1x1x2x16xf32>, %k: tensor<1x100x2x16xf32>, %v: tensor<1x100x2x8xf32>) -> tensor<1x1x2x8xf32> {
  %o = attn.softmax_attention %q, %k, %v {form = #attn.form<chunkwise>, chunk_size = 32} : (tensor<1x1x2x16xf32>, tensor<1x100x2x16xf32>, tensor<1x100x2x8xf32>) -> tensor<1x1x2x8xf32>
  return %o : tensor<1x1x2x8xf32>
}

// -----

// Ops without a chunkwise (or linear quadratic) form are left alone.
// CHECK-LABEL: func.func @untouched
// CHECK: attn.softmax_attention {{.*}}form = #attn.form<quadratic>
// CHECK: attn.linear_attention {{.*}}form = #attn.form<recurrent>
// CHECK: attn.linear_attention
func.func @untouched(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>, %v: tensor<1x64x2x16xf32>) -> (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) {
  %a = attn.softmax_attention %q, %k, %v {form = #attn.form<quadratic>} : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  %b = attn.linear_attention %q, %k, %v {form = #attn.form<recurrent>} : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  %c = attn.linear_attention %q, %k, %v : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %a, %b, %c : tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>
}
