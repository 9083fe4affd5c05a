// RUN: attn-opt %s -split-input-file --attn-raise | FileCheck %s

// attn-raise: attention written as plain linalg becomes one attn op, with
// transposes (and unit dims) between the frontend's layout and [B, T, H, D].

// Softmax on [B, H, T, D] with linalg.generic products, a scale by mulf
// and linalg.softmax: q, k, v transposed to [B, T, H, D], o back.
// CHECK-LABEL: func.func @softmax_bhtd
// CHECK-SAME:    (%[[Q:.*]]: tensor<2x4x8x16xf32>, %[[K:.*]]: tensor<2x4x10x16xf32>, %[[V:.*]]: tensor<2x4x10x32xf32>)
// CHECK-NOT:     linalg.generic
// CHECK-NOT:     linalg.softmax
// CHECK:         %[[QT:.*]] = linalg.transpose ins(%[[Q]] : tensor<2x4x8x16xf32>) outs(%{{.*}} : tensor<2x8x4x16xf32>) permutation = [0, 2, 1, 3]
// CHECK:         %[[KT:.*]] = linalg.transpose ins(%[[K]] : {{.*}} permutation = [0, 2, 1, 3]
// CHECK:         %[[VT:.*]] = linalg.transpose ins(%[[V]] : {{.*}} permutation = [0, 2, 1, 3]
// CHECK:         %[[O:.*]] = attn.softmax_attention %[[QT]], %[[KT]], %[[VT]] {causal = false, scale = 2.500000e-01 : f64} : (tensor<2x8x4x16xf32>, tensor<2x10x4x16xf32>, tensor<2x10x4x32xf32>) -> tensor<2x8x4x32xf32>
// CHECK:         %[[OT:.*]] = linalg.transpose ins(%[[O]] : tensor<2x8x4x32xf32>) outs(%{{.*}} : tensor<2x4x8x32xf32>) permutation = [0, 2, 1, 3]
// CHECK:         return %[[OT]]
#q  = affine_map<(b, h, t, s, d) -> (b, h, t, d)>
#k  = affine_map<(b, h, t, s, d) -> (b, h, s, d)>
#sc = affine_map<(b, h, t, s, d) -> (b, h, t, s)>
#p  = affine_map<(b, h, t, e, s) -> (b, h, t, s)>
#v  = affine_map<(b, h, t, e, s) -> (b, h, s, e)>
#o  = affine_map<(b, h, t, e, s) -> (b, h, t, e)>
#id = affine_map<(b, h, t, s) -> (b, h, t, s)>
func.func @softmax_bhtd(%q: tensor<2x4x8x16xf32>, %k: tensor<2x4x10x16xf32>, %v: tensor<2x4x10x32xf32>) -> tensor<2x4x8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %c = arith.constant 0.25 : f32
  %e0 = tensor.empty() : tensor<2x4x8x10xf32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<2x4x8x10xf32>) -> tensor<2x4x8x10xf32>
  %s = linalg.generic {indexing_maps = [#q, #k, #sc], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : tensor<2x4x8x16xf32>, tensor<2x4x10x16xf32>) outs(%z0 : tensor<2x4x8x10xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x4x8x10xf32>
  %e1 = tensor.empty() : tensor<2x4x8x10xf32>
  %ss = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s : tensor<2x4x8x10xf32>) outs(%e1 : tensor<2x4x8x10xf32>) {
  ^bb0(%a: f32, %out: f32):
    %r = arith.mulf %a, %c : f32
    linalg.yield %r : f32
  } -> tensor<2x4x8x10xf32>
  %e2 = tensor.empty() : tensor<2x4x8x10xf32>
  %p = linalg.softmax dimension(3) ins(%ss : tensor<2x4x8x10xf32>) outs(%e2 : tensor<2x4x8x10xf32>) -> tensor<2x4x8x10xf32>
  %e3 = tensor.empty() : tensor<2x4x8x32xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  %o = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%p, %v : tensor<2x4x8x10xf32>, tensor<2x4x10x32xf32>) outs(%z3 : tensor<2x4x8x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x4x8x32xf32>
  return %o : tensor<2x4x8x32xf32>
}

// -----

// [B, T, H, D] operands and result, scores [B, H, T, S], scale by divf and
// the explicit softmax chain (linalg.reduce max, exp(x - max), add-reduce
// generic, divide): no transpose at all.
// CHECK-LABEL: func.func @softmax_bthd
// CHECK-SAME:    (%[[Q:.*]]: tensor<2x8x4x16xf32>, %[[K:.*]]: tensor<2x10x4x16xf32>, %[[V:.*]]: tensor<2x10x4x32xf32>)
// CHECK-NEXT:    %[[O:.*]] = attn.softmax_attention %[[Q]], %[[K]], %[[V]] {causal = false, scale = 2.500000e-01 : f64}
// CHECK-NEXT:    return %[[O]]
#q  = affine_map<(b, h, t, s, d) -> (b, t, h, d)>
#k  = affine_map<(b, h, t, s, d) -> (b, s, h, d)>
#sc = affine_map<(b, h, t, s, d) -> (b, h, t, s)>
#p  = affine_map<(b, h, t, e, s) -> (b, h, t, s)>
#v  = affine_map<(b, h, t, e, s) -> (b, s, h, e)>
#o  = affine_map<(b, h, t, e, s) -> (b, t, h, e)>
#id = affine_map<(b, h, t, s) -> (b, h, t, s)>
#row = affine_map<(b, h, t, s) -> (b, h, t)>
func.func @softmax_bthd(%q: tensor<2x8x4x16xf32>, %k: tensor<2x10x4x16xf32>, %v: tensor<2x10x4x32xf32>) -> tensor<2x8x4x32xf32> {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %c4 = arith.constant 4.0 : f32
  %e0 = tensor.empty() : tensor<2x4x8x10xf32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<2x4x8x10xf32>) -> tensor<2x4x8x10xf32>
  %s = linalg.generic {indexing_maps = [#q, #k, #sc], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : tensor<2x8x4x16xf32>, tensor<2x10x4x16xf32>) outs(%z0 : tensor<2x4x8x10xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x4x8x10xf32>
  %ss = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s : tensor<2x4x8x10xf32>) outs(%e0 : tensor<2x4x8x10xf32>) {
  ^bb0(%a: f32, %out: f32):
    %r = arith.divf %a, %c4 : f32
    linalg.yield %r : f32
  } -> tensor<2x4x8x10xf32>
  %er = tensor.empty() : tensor<2x4x8xf32>
  %minit = linalg.fill ins(%ninf : f32) outs(%er : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  %max = linalg.reduce ins(%ss : tensor<2x4x8x10xf32>) outs(%minit : tensor<2x4x8xf32>) dimensions = [3]
    (%in: f32, %init: f32) {
      %r = arith.maximumf %in, %init : f32
      linalg.yield %r : f32
    }
  %ex = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%ss, %max : tensor<2x4x8x10xf32>, tensor<2x4x8xf32>) outs(%e0 : tensor<2x4x8x10xf32>) {
  ^bb0(%a: f32, %m: f32, %out: f32):
    %d = arith.subf %a, %m : f32
    %r = math.exp %d : f32
    linalg.yield %r : f32
  } -> tensor<2x4x8x10xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%er : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%ex : tensor<2x4x8x10xf32>) outs(%sinit : tensor<2x4x8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  } -> tensor<2x4x8xf32>
  %p = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%ex, %sum : tensor<2x4x8x10xf32>, tensor<2x4x8xf32>) outs(%e0 : tensor<2x4x8x10xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<2x4x8x10xf32>
  %e3 = tensor.empty() : tensor<2x8x4x32xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<2x8x4x32xf32>) -> tensor<2x8x4x32xf32>
  %o = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%p, %v : tensor<2x4x8x10xf32>, tensor<2x10x4x32xf32>) outs(%z3 : tensor<2x8x4x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x8x4x32xf32>
  return %o : tensor<2x8x4x32xf32>
}

// -----

// [B*H, T, D] with named ops: linalg.batch_matmul on a transposed K, the
// scale as linalg.mul by a splat, linalg.softmax. The single batch dim is
// B; H is a unit dim.
// CHECK-LABEL: func.func @softmax_batch_matmul
// CHECK-SAME:    (%[[Q:.*]]: tensor<8x8x16xf32>, %[[K:.*]]: tensor<8x10x16xf32>, %[[V:.*]]: tensor<8x10x32xf32>)
// CHECK-DAG:     %[[QE:.*]] = tensor.expand_shape %[[Q]] {{\[}}[0], [1, 2], [3]] output_shape [8, 8, 1, 16]
// CHECK-DAG:     %[[VE:.*]] = tensor.expand_shape %[[V]] {{\[}}[0], [1, 2], [3]] output_shape [8, 10, 1, 32]
// CHECK:         %[[O:.*]] = attn.softmax_attention %[[QE]], %{{.*}}, %[[VE]] {causal = false, scale = 2.500000e-01 : f64} : (tensor<8x8x1x16xf32>, tensor<8x10x1x16xf32>, tensor<8x10x1x32xf32>) -> tensor<8x8x1x32xf32>
// CHECK:         %[[OC:.*]] = tensor.collapse_shape %[[O]] {{\[}}[0], [1, 2], [3]] : tensor<8x8x1x32xf32> into tensor<8x8x32xf32>
// CHECK:         return %[[OC]]
func.func @softmax_batch_matmul(%q: tensor<8x8x16xf32>, %k: tensor<8x10x16xf32>, %v: tensor<8x10x32xf32>) -> tensor<8x8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %c = arith.constant dense<0.25> : tensor<8x8x10xf32>
  %ek = tensor.empty() : tensor<8x16x10xf32>
  %kt = linalg.transpose ins(%k : tensor<8x10x16xf32>) outs(%ek : tensor<8x16x10xf32>) permutation = [0, 2, 1]
  %e0 = tensor.empty() : tensor<8x8x10xf32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<8x8x10xf32>) -> tensor<8x8x10xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<8x8x16xf32>, tensor<8x16x10xf32>) outs(%z0 : tensor<8x8x10xf32>) -> tensor<8x8x10xf32>
  %ss = linalg.mul ins(%s, %c : tensor<8x8x10xf32>, tensor<8x8x10xf32>) outs(%e0 : tensor<8x8x10xf32>) -> tensor<8x8x10xf32>
  %p = linalg.softmax dimension(2) ins(%ss : tensor<8x8x10xf32>) outs(%e0 : tensor<8x8x10xf32>) -> tensor<8x8x10xf32>
  %e1 = tensor.empty() : tensor<8x8x32xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<8x8x32xf32>) -> tensor<8x8x32xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<8x8x10xf32>, tensor<8x10x32xf32>) outs(%z1 : tensor<8x8x32xf32>) -> tensor<8x8x32xf32>
  return %o : tensor<8x8x32xf32>
}

// -----

// 3-D again, with a keep-dim max by maxnumf, the subtraction and the exp as
// two ops (linalg.exp), and a scale written c * x.
// CHECK-LABEL: func.func @softmax_3d_explicit
// CHECK-NOT:     linalg.generic
// CHECK-NOT:     linalg.exp
// CHECK:         attn.softmax_attention {{.*}} {causal = false, scale = 2.500000e-01 : f64} : (tensor<6x9x1x16xf32>, tensor<6x11x1x16xf32>, tensor<6x11x1x8xf32>) -> tensor<6x9x1x8xf32>
#id = affine_map<(n, t, s) -> (n, t, s)>
#keep = affine_map<(n, t, s) -> (n, t, 0)>
func.func @softmax_3d_explicit(%q: tensor<6x9x16xf32>, %k: tensor<6x11x16xf32>, %v: tensor<6x11x8xf32>) -> tensor<6x9x8xf32> {
  %zero = arith.constant 0.0 : f32
  %lowest = arith.constant -3.40282347E+38 : f32
  %c = arith.constant 0.25 : f32
  %ek = tensor.empty() : tensor<6x16x11xf32>
  %kt = linalg.transpose ins(%k : tensor<6x11x16xf32>) outs(%ek : tensor<6x16x11xf32>) permutation = [0, 2, 1]
  %e0 = tensor.empty() : tensor<6x9x11xf32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<6x9x11xf32>) -> tensor<6x9x11xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<6x9x16xf32>, tensor<6x16x11xf32>) outs(%z0 : tensor<6x9x11xf32>) -> tensor<6x9x11xf32>
  %ss = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%s : tensor<6x9x11xf32>) outs(%e0 : tensor<6x9x11xf32>) {
  ^bb0(%a: f32, %out: f32):
    %r = arith.mulf %c, %a : f32
    linalg.yield %r : f32
  } -> tensor<6x9x11xf32>
  %er = tensor.empty() : tensor<6x9x1xf32>
  %minit = linalg.fill ins(%lowest : f32) outs(%er : tensor<6x9x1xf32>) -> tensor<6x9x1xf32>
  %max = linalg.generic {indexing_maps = [#id, #keep], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%ss : tensor<6x9x11xf32>) outs(%minit : tensor<6x9x1xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.maxnumf %acc, %a : f32
    linalg.yield %r : f32
  } -> tensor<6x9x1xf32>
  %d = linalg.generic {indexing_maps = [#id, #keep, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%ss, %max : tensor<6x9x11xf32>, tensor<6x9x1xf32>) outs(%e0 : tensor<6x9x11xf32>) {
  ^bb0(%a: f32, %m: f32, %out: f32):
    %r = arith.subf %a, %m : f32
    linalg.yield %r : f32
  } -> tensor<6x9x11xf32>
  %ex = linalg.exp ins(%d : tensor<6x9x11xf32>) outs(%e0 : tensor<6x9x11xf32>) -> tensor<6x9x11xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%er : tensor<6x9x1xf32>) -> tensor<6x9x1xf32>
  %sum = linalg.generic {indexing_maps = [#id, #keep], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%ex : tensor<6x9x11xf32>) outs(%sinit : tensor<6x9x1xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %acc, %a : f32
    linalg.yield %r : f32
  } -> tensor<6x9x1xf32>
  %p = linalg.generic {indexing_maps = [#id, #keep, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%ex, %sum : tensor<6x9x11xf32>, tensor<6x9x1xf32>) outs(%e0 : tensor<6x9x11xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<6x9x11xf32>
  %e1 = tensor.empty() : tensor<6x9x8xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<6x9x8xf32>) -> tensor<6x9x8xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<6x9x11xf32>, tensor<6x11x8xf32>) outs(%z1 : tensor<6x9x8xf32>) -> tensor<6x9x8xf32>
  return %o : tensor<6x9x8xf32>
}

// -----

// Plain [T, D] matrices in bf16, K^T through linalg.matmul's indexing maps,
// no scale (scale 1): B and H are unit dims.
// CHECK-LABEL: func.func @softmax_matmul
// CHECK:         tensor.expand_shape %{{.*}} {{\[}}[0, 1, 2], [3]] output_shape [1, 8, 1, 16] : tensor<8x16xbf16> into tensor<1x8x1x16xbf16>
// CHECK:         attn.softmax_attention {{.*}} {causal = false, scale = 1.000000e+00 : f64} : (tensor<1x8x1x16xbf16>, tensor<1x10x1x16xbf16>, tensor<1x10x1x32xbf16>) -> tensor<1x8x1x32xbf16>
// CHECK:         tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2], [3]] : tensor<1x8x1x32xbf16> into tensor<8x32xbf16>
func.func @softmax_matmul(%q: tensor<8x16xbf16>, %k: tensor<10x16xbf16>, %v: tensor<10x32xbf16>) -> tensor<8x32xbf16> {
  %zero = arith.constant 0.0 : bf16
  %e0 = tensor.empty() : tensor<8x10xbf16>
  %z0 = linalg.fill ins(%zero : bf16) outs(%e0 : tensor<8x10xbf16>) -> tensor<8x10xbf16>
  %s = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%q, %k : tensor<8x16xbf16>, tensor<10x16xbf16>) outs(%z0 : tensor<8x10xbf16>) -> tensor<8x10xbf16>
  %p = linalg.softmax dimension(1) ins(%s : tensor<8x10xbf16>) outs(%e0 : tensor<8x10xbf16>) -> tensor<8x10xbf16>
  %e1 = tensor.empty() : tensor<8x32xbf16>
  %z1 = linalg.fill ins(%zero : bf16) outs(%e1 : tensor<8x32xbf16>) -> tensor<8x32xbf16>
  %o = linalg.matmul ins(%p, %v : tensor<8x10xbf16>, tensor<10x32xbf16>) outs(%z1 : tensor<8x32xbf16>) -> tensor<8x32xbf16>
  return %o : tensor<8x32xbf16>
}

// -----

// Dynamic sizes are kept.
// CHECK-LABEL: func.func @softmax_dynamic
// CHECK:         attn.softmax_attention {{.*}} : (tensor<?x?x1x16xf32>, tensor<?x?x1x16xf32>, tensor<?x?x1x8xf32>) -> tensor<?x?x1x8xf32>
func.func @softmax_dynamic(%q: tensor<?x?x16xf32>, %k: tensor<?x?x16xf32>, %v: tensor<?x?x8xf32>, %n: index, %t: index, %s: index) -> tensor<?x?x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty(%n, %t, %s) : tensor<?x?x?xf32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %sc = linalg.batch_matmul indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, n, k)>, affine_map<(b, m, n, k) -> (b, m, n)>]
      ins(%q, %k : tensor<?x?x16xf32>, tensor<?x?x16xf32>) outs(%z0 : tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %p = linalg.softmax dimension(2) ins(%sc : tensor<?x?x?xf32>) outs(%e0 : tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %e1 = tensor.empty(%n, %t) : tensor<?x?x8xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<?x?x?xf32>, tensor<?x?x8xf32>) outs(%z1 : tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %o : tensor<?x?x8xf32>
}

// -----

// Linear attention (relu(Q) relu(K)^T) V on [B, H, T, D]: no softmax, the
// feature maps become the attribute, scale 1.
// CHECK-LABEL: func.func @linear_quadratic
// CHECK-SAME:    (%[[Q:.*]]: tensor<2x4x12x16xf32>, %[[K:.*]]: tensor<2x4x12x16xf32>, %[[V:.*]]: tensor<2x4x12x8xf32>)
// CHECK:         %[[QT:.*]] = linalg.transpose ins(%[[Q]]
// CHECK:         %[[KT:.*]] = linalg.transpose ins(%[[K]]
// CHECK:         %[[VT:.*]] = linalg.transpose ins(%[[V]]
// CHECK:         %[[O:.*]] = attn.linear_attention %[[QT]], %[[KT]], %[[VT]] {causal = false, feature_map = #attn.feature_map<relu>, scale = 1.000000e+00 : f64}
// CHECK:         linalg.transpose ins(%[[O]]
#q  = affine_map<(b, h, t, s, d) -> (b, h, t, d)>
#k  = affine_map<(b, h, t, s, d) -> (b, h, s, d)>
#sc = affine_map<(b, h, t, s, d) -> (b, h, t, s)>
#p  = affine_map<(b, h, t, e, s) -> (b, h, t, s)>
#v  = affine_map<(b, h, t, e, s) -> (b, h, s, e)>
#o  = affine_map<(b, h, t, e, s) -> (b, h, t, e)>
#id = affine_map<(b, h, t, d) -> (b, h, t, d)>
func.func @linear_quadratic(%q: tensor<2x4x12x16xf32>, %k: tensor<2x4x12x16xf32>, %v: tensor<2x4x12x8xf32>) -> tensor<2x4x12x8xf32> {
  %zero = arith.constant 0.0 : f32
  %eq = tensor.empty() : tensor<2x4x12x16xf32>
  %fq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%q : tensor<2x4x12x16xf32>) outs(%eq : tensor<2x4x12x16xf32>) {
  ^bb0(%a: f32, %out: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<2x4x12x16xf32>
  %fk = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%k : tensor<2x4x12x16xf32>) outs(%eq : tensor<2x4x12x16xf32>) {
  ^bb0(%a: f32, %out: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<2x4x12x16xf32>
  %e0 = tensor.empty() : tensor<2x4x12x12xf32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<2x4x12x12xf32>) -> tensor<2x4x12x12xf32>
  %s = linalg.generic {indexing_maps = [#q, #k, #sc], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%fq, %fk : tensor<2x4x12x16xf32>, tensor<2x4x12x16xf32>) outs(%z0 : tensor<2x4x12x12xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x4x12x12xf32>
  %e3 = tensor.empty() : tensor<2x4x12x8xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<2x4x12x8xf32>) -> tensor<2x4x12x8xf32>
  %o = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%s, %v : tensor<2x4x12x12xf32>, tensor<2x4x12x8xf32>) outs(%z3 : tensor<2x4x12x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x4x12x8xf32>
  return %o : tensor<2x4x12x8xf32>
}

// -----

// The reassociated order phi(Q) (phi(K)^T V) with phi = elu + 1, all
// [B, T, H, D].
// CHECK-LABEL: func.func @linear_reassociated
// CHECK-SAME:    (%[[Q:.*]]: tensor<1x12x2x16xf32>, %[[K:.*]]: tensor<1x12x2x16xf32>, %[[V:.*]]: tensor<1x12x2x8xf32>)
// CHECK-NEXT:    %[[O:.*]] = attn.linear_attention %[[Q]], %[[K]], %[[V]] {causal = false, feature_map = #attn.feature_map<elu_plus_one>, scale = 1.000000e+00 : f64}
// CHECK-NEXT:    return %[[O]]
#kk  = affine_map<(b, h, d, e, t) -> (b, t, h, d)>
#kv  = affine_map<(b, h, d, e, t) -> (b, t, h, e)>
#st  = affine_map<(b, h, d, e, t) -> (b, h, d, e)>
#qq  = affine_map<(b, t, h, e, d) -> (b, t, h, d)>
#ss  = affine_map<(b, t, h, e, d) -> (b, h, d, e)>
#oo  = affine_map<(b, t, h, e, d) -> (b, t, h, e)>
#id2 = affine_map<(b, t, h, d) -> (b, t, h, d)>
func.func @linear_reassociated(%q: tensor<1x12x2x16xf32>, %k: tensor<1x12x2x16xf32>, %v: tensor<1x12x2x8xf32>) -> tensor<1x12x2x8xf32> {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %eq = tensor.empty() : tensor<1x12x2x16xf32>
  %fq = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%q : tensor<1x12x2x16xf32>) outs(%eq : tensor<1x12x2x16xf32>) {
  ^bb0(%a: f32, %out: f32):
    %pos = arith.cmpf ogt, %a, %zero : f32
    %ap1 = arith.addf %a, %one : f32
    %ex = math.exp %a : f32
    %r = arith.select %pos, %ap1, %ex : f32
    linalg.yield %r : f32
  } -> tensor<1x12x2x16xf32>
  %fk = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%k : tensor<1x12x2x16xf32>) outs(%eq : tensor<1x12x2x16xf32>) {
  ^bb0(%a: f32, %out: f32):
    %pos = arith.cmpf ogt, %a, %zero : f32
    %ap1 = arith.addf %a, %one : f32
    %ex = math.exp %a : f32
    %r = arith.select %pos, %ap1, %ex : f32
    linalg.yield %r : f32
  } -> tensor<1x12x2x16xf32>
  %e0 = tensor.empty() : tensor<1x2x16x8xf32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1x2x16x8xf32>) -> tensor<1x2x16x8xf32>
  %s = linalg.generic {indexing_maps = [#kk, #kv, #st], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%fk, %v : tensor<1x12x2x16xf32>, tensor<1x12x2x8xf32>) outs(%z0 : tensor<1x2x16x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x16x8xf32>
  %e3 = tensor.empty() : tensor<1x12x2x8xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x12x2x8xf32>) -> tensor<1x12x2x8xf32>
  %o = linalg.generic {indexing_maps = [#qq, #ss, #oo], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%fq, %s : tensor<1x12x2x16xf32>, tensor<1x2x16x8xf32>) outs(%z3 : tensor<1x12x2x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x12x2x8xf32>
  return %o : tensor<1x12x2x8xf32>
}

// -----

// Left alone: the denominator is a max-reduction, not a sum.
// CHECK-LABEL: func.func @sum_is_max
// CHECK-NOT:     attn.
// CHECK-COUNT-2: linalg.reduce
// CHECK-NOT:     attn.
#q  = affine_map<(b, h, t, s, d) -> (b, h, t, d)>
#k  = affine_map<(b, h, t, s, d) -> (b, h, s, d)>
#sc = affine_map<(b, h, t, s, d) -> (b, h, t, s)>
#p  = affine_map<(b, h, t, e, s) -> (b, h, t, s)>
#v  = affine_map<(b, h, t, e, s) -> (b, h, s, e)>
#o  = affine_map<(b, h, t, e, s) -> (b, h, t, e)>
#id = affine_map<(b, h, t, s) -> (b, h, t, s)>
#row = affine_map<(b, h, t, s) -> (b, h, t)>
func.func @sum_is_max(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<1x2x8x8xf32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %s = linalg.generic {indexing_maps = [#q, #k, #sc], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) outs(%z0 : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  %er = tensor.empty() : tensor<1x2x8xf32>
  %minit = linalg.fill ins(%ninf : f32) outs(%er : tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  %max = linalg.reduce ins(%s : tensor<1x2x8x8xf32>) outs(%minit : tensor<1x2x8xf32>) dimensions = [3]
    (%in: f32, %init: f32) {
      %r = arith.maximumf %in, %init : f32
      linalg.yield %r : f32
    }
  %ex = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s, %max : tensor<1x2x8x8xf32>, tensor<1x2x8xf32>) outs(%e0 : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %m: f32, %out: f32):
    %d = arith.subf %a, %m : f32
    %r = math.exp %d : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%er : tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  %sum = linalg.reduce ins(%ex : tensor<1x2x8x8xf32>) outs(%sinit : tensor<1x2x8xf32>) dimensions = [3]
    (%in: f32, %init: f32) {
      %r = arith.maximumf %in, %init : f32
      linalg.yield %r : f32
    }
  %p = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%ex, %sum : tensor<1x2x8x8xf32>, tensor<1x2x8xf32>) outs(%e0 : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  %e3 = tensor.empty() : tensor<1x2x8x16xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  %o = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%p, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) outs(%z3 : tensor<1x2x8x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Left alone: the softmax is over the queries (dimension 1), not the keys.
// CHECK-LABEL: func.func @softmax_over_queries
// CHECK-NOT:     attn.
// CHECK:         linalg.softmax dimension(1)
// CHECK-NOT:     attn.
func.func @softmax_over_queries(%q: tensor<8x8x16xf32>, %k: tensor<8x16x8xf32>, %v: tensor<8x8x16xf32>) -> tensor<8x8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<8x8x8xf32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<8x8x8xf32>) -> tensor<8x8x8xf32>
  %s = linalg.batch_matmul ins(%q, %k : tensor<8x8x16xf32>, tensor<8x16x8xf32>) outs(%z0 : tensor<8x8x8xf32>) -> tensor<8x8x8xf32>
  %p = linalg.softmax dimension(1) ins(%s : tensor<8x8x8xf32>) outs(%e0 : tensor<8x8x8xf32>) -> tensor<8x8x8xf32>
  %e1 = tensor.empty() : tensor<8x8x16xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<8x8x16xf32>) -> tensor<8x8x16xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<8x8x8xf32>, tensor<8x8x16xf32>) outs(%z1 : tensor<8x8x16xf32>) -> tensor<8x8x16xf32>
  return %o : tensor<8x8x16xf32>
}

// -----

// Left alone: the scale is not a constant.
// CHECK-LABEL: func.func @scale_not_constant
// CHECK-NOT:     attn.
// CHECK:         arith.mulf %{{.*}}, %arg3 : f32
// CHECK:         linalg.softmax
// CHECK-NOT:     attn.
#id3 = affine_map<(n, t, s) -> (n, t, s)>
func.func @scale_not_constant(%q: tensor<8x8x16xf32>, %k: tensor<8x16x8xf32>, %v: tensor<8x8x16xf32>, %c: f32) -> tensor<8x8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<8x8x8xf32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<8x8x8xf32>) -> tensor<8x8x8xf32>
  %s = linalg.batch_matmul ins(%q, %k : tensor<8x8x16xf32>, tensor<8x16x8xf32>) outs(%z0 : tensor<8x8x8xf32>) -> tensor<8x8x8xf32>
  %ss = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%s : tensor<8x8x8xf32>) outs(%e0 : tensor<8x8x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %r = arith.mulf %a, %c : f32
    linalg.yield %r : f32
  } -> tensor<8x8x8xf32>
  %p = linalg.softmax dimension(2) ins(%ss : tensor<8x8x8xf32>) outs(%e0 : tensor<8x8x8xf32>) -> tensor<8x8x8xf32>
  %e1 = tensor.empty() : tensor<8x8x16xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<8x8x16xf32>) -> tensor<8x8x16xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<8x8x8xf32>, tensor<8x8x16xf32>) outs(%z1 : tensor<8x8x16xf32>) -> tensor<8x8x16xf32>
  return %o : tensor<8x8x16xf32>
}

// -----

// Left alone: linear attention has one sequence length, here Tq = 8 but
// Tk = 10.
// CHECK-LABEL: func.func @linear_tq_ne_tk
// CHECK-NOT:     attn.
// CHECK-COUNT-2: linalg.batch_matmul
// CHECK-NOT:     attn.
func.func @linear_tq_ne_tk(%q: tensor<4x8x16xf32>, %k: tensor<4x16x10xf32>, %v: tensor<4x10x16xf32>) -> tensor<4x8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<4x8x10xf32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<4x8x10xf32>) -> tensor<4x8x10xf32>
  %s = linalg.batch_matmul ins(%q, %k : tensor<4x8x16xf32>, tensor<4x16x10xf32>) outs(%z0 : tensor<4x8x10xf32>) -> tensor<4x8x10xf32>
  %e1 = tensor.empty() : tensor<4x8x16xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  %o = linalg.batch_matmul ins(%s, %v : tensor<4x8x10xf32>, tensor<4x10x16xf32>) outs(%z1 : tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  return %o : tensor<4x8x16xf32>
}

// -----

// Left alone: the second product accumulates into a value that is not zero.
// CHECK-LABEL: func.func @accumulates
// CHECK-NOT:     attn.
// CHECK:         linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<4x8x8xf32>, tensor<4x8x16xf32>) outs(%arg3
// CHECK-NOT:     attn.
func.func @accumulates(%q: tensor<4x8x16xf32>, %k: tensor<4x16x8xf32>, %v: tensor<4x8x16xf32>, %acc: tensor<4x8x16xf32>) -> tensor<4x8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<4x8x8xf32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %s = linalg.batch_matmul ins(%q, %k : tensor<4x8x16xf32>, tensor<4x16x8xf32>) outs(%z0 : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<4x8x8xf32>) outs(%e0 : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<4x8x8xf32>, tensor<4x8x16xf32>) outs(%acc : tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  return %o : tensor<4x8x16xf32>
}

// -----

// Left alone: bf16 inputs and an f32 result, where an attn op has one
// element type.
// CHECK-LABEL: func.func @mixed_types
// CHECK-NOT:     attn.
// CHECK-COUNT-2: linalg.batch_matmul
// CHECK-NOT:     attn.
func.func @mixed_types(%q: tensor<4x8x16xbf16>, %k: tensor<4x16x8xbf16>, %v: tensor<4x8x16xbf16>) -> tensor<4x8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<4x8x8xf32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %s = linalg.batch_matmul ins(%q, %k : tensor<4x8x16xbf16>, tensor<4x16x8xbf16>) outs(%z0 : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<4x8x8xf32>) outs(%e0 : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %e1 = tensor.empty() : tensor<4x8x16xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<4x8x8xf32>, tensor<4x8x16xbf16>) outs(%z1 : tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  return %o : tensor<4x8x16xf32>
}
