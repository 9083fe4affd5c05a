// attn-raise keeps the numbers: each function runs as written (linalg) and
// raised (attn ops, lowered by the cost model's forms) on the same inputs.

// RUN: rm -rf %t && mkdir -p %t
// RUN: attn-opt %s --attn-raise -o %t/raised.mlir
// RUN: FileCheck %s --input-file=%t/raised.mlir
// RUN: attn-run %s --func=softmax_bthd --output-dir=%t/softmax_bthd
// RUN: attn-run %t/raised.mlir --func=softmax_bthd --input=%t/softmax_bthd/arg0.npy --input=%t/softmax_bthd/arg1.npy --input=%t/softmax_bthd/arg2.npy --output-dir=%t/softmax_bthd-raised
// RUN: %python %S/compare_npy.py %t/softmax_bthd/result0.npy %t/softmax_bthd-raised/result0.npy 1e-5
// RUN: attn-run %s --func=softmax_3d_explicit --output-dir=%t/softmax_3d_explicit
// RUN: attn-run %t/raised.mlir --func=softmax_3d_explicit --input=%t/softmax_3d_explicit/arg0.npy --input=%t/softmax_3d_explicit/arg1.npy --input=%t/softmax_3d_explicit/arg2.npy --output-dir=%t/softmax_3d_explicit-raised
// RUN: %python %S/compare_npy.py %t/softmax_3d_explicit/result0.npy %t/softmax_3d_explicit-raised/result0.npy 1e-5
// RUN: attn-run %s --func=linear_quadratic --output-dir=%t/linear_quadratic
// RUN: attn-run %t/raised.mlir --func=linear_quadratic --input=%t/linear_quadratic/arg0.npy --input=%t/linear_quadratic/arg1.npy --input=%t/linear_quadratic/arg2.npy --output-dir=%t/linear_quadratic-raised
// RUN: %python %S/compare_npy.py %t/linear_quadratic/result0.npy %t/linear_quadratic-raised/result0.npy 1e-5
// RUN: attn-run %s --func=linear_reassociated --output-dir=%t/linear_reassociated
// RUN: attn-run %t/raised.mlir --func=linear_reassociated --input=%t/linear_reassociated/arg0.npy --input=%t/linear_reassociated/arg1.npy --input=%t/linear_reassociated/arg2.npy --output-dir=%t/linear_reassociated-raised
// RUN: %python %S/compare_npy.py %t/linear_reassociated/result0.npy %t/linear_reassociated-raised/result0.npy 1e-5

// CHECK-LABEL: func.func @softmax_bthd
// CHECK: attn.softmax_attention
// CHECK-LABEL: func.func @softmax_3d_explicit
// CHECK: attn.softmax_attention
// CHECK-LABEL: func.func @linear_quadratic
// CHECK: attn.linear_attention
// CHECK-LABEL: func.func @linear_reassociated
// CHECK: attn.linear_attention

// Softmax, [B, T, H, D], explicit softmax chain.
#s1_q  = affine_map<(b, h, t, s, d) -> (b, t, h, d)>
#s1_k  = affine_map<(b, h, t, s, d) -> (b, s, h, d)>
#s1_sc = affine_map<(b, h, t, s, d) -> (b, h, t, s)>
#s1_p  = affine_map<(b, h, t, e, s) -> (b, h, t, s)>
#s1_v  = affine_map<(b, h, t, e, s) -> (b, s, h, e)>
#s1_o  = affine_map<(b, h, t, e, s) -> (b, t, h, e)>
#s1_id = affine_map<(b, h, t, s) -> (b, h, t, s)>
#s1_row = affine_map<(b, h, t, s) -> (b, h, t)>
func.func @softmax_bthd(%q: tensor<2x8x4x16xf32>, %k: tensor<2x10x4x16xf32>, %v: tensor<2x10x4x32xf32>) -> tensor<2x8x4x32xf32> {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %c4 = arith.constant 4.0 : f32
  %e0 = tensor.empty() : tensor<2x4x8x10xf32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<2x4x8x10xf32>) -> tensor<2x4x8x10xf32>
  %s = linalg.generic {indexing_maps = [#s1_q, #s1_k, #s1_sc], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : tensor<2x8x4x16xf32>, tensor<2x10x4x16xf32>) outs(%z0 : tensor<2x4x8x10xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x4x8x10xf32>
  %ss = linalg.generic {indexing_maps = [#s1_id, #s1_id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
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
  %ex = linalg.generic {indexing_maps = [#s1_id, #s1_row, #s1_id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%ss, %max : tensor<2x4x8x10xf32>, tensor<2x4x8xf32>) outs(%e0 : tensor<2x4x8x10xf32>) {
  ^bb0(%a: f32, %m: f32, %out: f32):
    %d = arith.subf %a, %m : f32
    %r = math.exp %d : f32
    linalg.yield %r : f32
  } -> tensor<2x4x8x10xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%er : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  %sum = linalg.generic {indexing_maps = [#s1_id, #s1_row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%ex : tensor<2x4x8x10xf32>) outs(%sinit : tensor<2x4x8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  } -> tensor<2x4x8xf32>
  %p = linalg.generic {indexing_maps = [#s1_id, #s1_row, #s1_id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%ex, %sum : tensor<2x4x8x10xf32>, tensor<2x4x8xf32>) outs(%e0 : tensor<2x4x8x10xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<2x4x8x10xf32>
  %e3 = tensor.empty() : tensor<2x8x4x32xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<2x8x4x32xf32>) -> tensor<2x8x4x32xf32>
  %o = linalg.generic {indexing_maps = [#s1_p, #s1_v, #s1_o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%p, %v : tensor<2x4x8x10xf32>, tensor<2x10x4x32xf32>) outs(%z3 : tensor<2x8x4x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x8x4x32xf32>
  return %o : tensor<2x8x4x32xf32>
}

// Softmax, [B*H, T, D] batch_matmul, keep-dim reductions.
#s2_id = affine_map<(n, t, s) -> (n, t, s)>
#s2_keep = affine_map<(n, t, s) -> (n, t, 0)>
func.func @softmax_3d_explicit(%q: tensor<6x9x16xf32>, %k: tensor<6x11x16xf32>, %v: tensor<6x11x8xf32>) -> tensor<6x9x8xf32> {
  %zero = arith.constant 0.0 : f32
  %lowest = arith.constant -3.40282347E+38 : f32
  %c = arith.constant 0.25 : f32
  %ek = tensor.empty() : tensor<6x16x11xf32>
  %kt = linalg.transpose ins(%k : tensor<6x11x16xf32>) outs(%ek : tensor<6x16x11xf32>) permutation = [0, 2, 1]
  %e0 = tensor.empty() : tensor<6x9x11xf32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<6x9x11xf32>) -> tensor<6x9x11xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<6x9x16xf32>, tensor<6x16x11xf32>) outs(%z0 : tensor<6x9x11xf32>) -> tensor<6x9x11xf32>
  %ss = linalg.generic {indexing_maps = [#s2_id, #s2_id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%s : tensor<6x9x11xf32>) outs(%e0 : tensor<6x9x11xf32>) {
  ^bb0(%a: f32, %out: f32):
    %r = arith.mulf %c, %a : f32
    linalg.yield %r : f32
  } -> tensor<6x9x11xf32>
  %er = tensor.empty() : tensor<6x9x1xf32>
  %minit = linalg.fill ins(%lowest : f32) outs(%er : tensor<6x9x1xf32>) -> tensor<6x9x1xf32>
  %max = linalg.generic {indexing_maps = [#s2_id, #s2_keep], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%ss : tensor<6x9x11xf32>) outs(%minit : tensor<6x9x1xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.maxnumf %acc, %a : f32
    linalg.yield %r : f32
  } -> tensor<6x9x1xf32>
  %d = linalg.generic {indexing_maps = [#s2_id, #s2_keep, #s2_id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%ss, %max : tensor<6x9x11xf32>, tensor<6x9x1xf32>) outs(%e0 : tensor<6x9x11xf32>) {
  ^bb0(%a: f32, %m: f32, %out: f32):
    %r = arith.subf %a, %m : f32
    linalg.yield %r : f32
  } -> tensor<6x9x11xf32>
  %ex = linalg.exp ins(%d : tensor<6x9x11xf32>) outs(%e0 : tensor<6x9x11xf32>) -> tensor<6x9x11xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%er : tensor<6x9x1xf32>) -> tensor<6x9x1xf32>
  %sum = linalg.generic {indexing_maps = [#s2_id, #s2_keep], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%ex : tensor<6x9x11xf32>) outs(%sinit : tensor<6x9x1xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %acc, %a : f32
    linalg.yield %r : f32
  } -> tensor<6x9x1xf32>
  %p = linalg.generic {indexing_maps = [#s2_id, #s2_keep, #s2_id], iterator_types = ["parallel", "parallel", "parallel"]}
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

// Linear attention, (relu(Q) relu(K)^T) V on [B, H, T, D].
#l1_q  = affine_map<(b, h, t, s, d) -> (b, h, t, d)>
#l1_k  = affine_map<(b, h, t, s, d) -> (b, h, s, d)>
#l1_sc = affine_map<(b, h, t, s, d) -> (b, h, t, s)>
#l1_p  = affine_map<(b, h, t, e, s) -> (b, h, t, s)>
#l1_v  = affine_map<(b, h, t, e, s) -> (b, h, s, e)>
#l1_o  = affine_map<(b, h, t, e, s) -> (b, h, t, e)>
#l1_id = affine_map<(b, h, t, d) -> (b, h, t, d)>
func.func @linear_quadratic(%q: tensor<2x4x12x16xf32>, %k: tensor<2x4x12x16xf32>, %v: tensor<2x4x12x8xf32>) -> tensor<2x4x12x8xf32> {
  %zero = arith.constant 0.0 : f32
  %eq = tensor.empty() : tensor<2x4x12x16xf32>
  %fq = linalg.generic {indexing_maps = [#l1_id, #l1_id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%q : tensor<2x4x12x16xf32>) outs(%eq : tensor<2x4x12x16xf32>) {
  ^bb0(%a: f32, %out: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<2x4x12x16xf32>
  %fk = linalg.generic {indexing_maps = [#l1_id, #l1_id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%k : tensor<2x4x12x16xf32>) outs(%eq : tensor<2x4x12x16xf32>) {
  ^bb0(%a: f32, %out: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<2x4x12x16xf32>
  %e0 = tensor.empty() : tensor<2x4x12x12xf32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<2x4x12x12xf32>) -> tensor<2x4x12x12xf32>
  %s = linalg.generic {indexing_maps = [#l1_q, #l1_k, #l1_sc], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%fq, %fk : tensor<2x4x12x16xf32>, tensor<2x4x12x16xf32>) outs(%z0 : tensor<2x4x12x12xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x4x12x12xf32>
  %e3 = tensor.empty() : tensor<2x4x12x8xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<2x4x12x8xf32>) -> tensor<2x4x12x8xf32>
  %o = linalg.generic {indexing_maps = [#l1_p, #l1_v, #l1_o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%s, %v : tensor<2x4x12x12xf32>, tensor<2x4x12x8xf32>) outs(%z3 : tensor<2x4x12x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x4x12x8xf32>
  return %o : tensor<2x4x12x8xf32>
}

// Linear attention, phi(Q) (phi(K)^T V) with elu + 1.
#l2_kk  = affine_map<(b, h, d, e, t) -> (b, t, h, d)>
#l2_kv  = affine_map<(b, h, d, e, t) -> (b, t, h, e)>
#l2_st  = affine_map<(b, h, d, e, t) -> (b, h, d, e)>
#l2_qq  = affine_map<(b, t, h, e, d) -> (b, t, h, d)>
#l2_ss  = affine_map<(b, t, h, e, d) -> (b, h, d, e)>
#l2_oo  = affine_map<(b, t, h, e, d) -> (b, t, h, e)>
#l2_id2 = affine_map<(b, t, h, d) -> (b, t, h, d)>
func.func @linear_reassociated(%q: tensor<1x12x2x16xf32>, %k: tensor<1x12x2x16xf32>, %v: tensor<1x12x2x8xf32>) -> tensor<1x12x2x8xf32> {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %eq = tensor.empty() : tensor<1x12x2x16xf32>
  %fq = linalg.generic {indexing_maps = [#l2_id2, #l2_id2], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%q : tensor<1x12x2x16xf32>) outs(%eq : tensor<1x12x2x16xf32>) {
  ^bb0(%a: f32, %out: f32):
    %pos = arith.cmpf ogt, %a, %zero : f32
    %ap1 = arith.addf %a, %one : f32
    %ex = math.exp %a : f32
    %r = arith.select %pos, %ap1, %ex : f32
    linalg.yield %r : f32
  } -> tensor<1x12x2x16xf32>
  %fk = linalg.generic {indexing_maps = [#l2_id2, #l2_id2], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
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
  %s = linalg.generic {indexing_maps = [#l2_kk, #l2_kv, #l2_st], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%fk, %v : tensor<1x12x2x16xf32>, tensor<1x12x2x8xf32>) outs(%z0 : tensor<1x2x16x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x16x8xf32>
  %e3 = tensor.empty() : tensor<1x12x2x8xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x12x2x8xf32>) -> tensor<1x12x2x8xf32>
  %o = linalg.generic {indexing_maps = [#l2_qq, #l2_ss, #l2_oo], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%fq, %s : tensor<1x12x2x16xf32>, tensor<1x2x16x8xf32>) outs(%z3 : tensor<1x12x2x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x12x2x8xf32>
  return %o : tensor<1x12x2x8xf32>
}
