// RUN: attn-opt %s -attn-cpu-vectorize-loops -canonicalize -cse -split-input-file | FileCheck %s
// RUN: attn-opt %s -attn-cpu-vectorize-loops=target=x86-avx2 -split-input-file | FileCheck %s --check-prefix=AVX2
// RUN: not attn-opt %s -attn-cpu-vectorize-loops=target=sm_80 -split-input-file 2>&1 | FileCheck %s --check-prefix=GPU

// An elementwise op along C's contiguous dimension (40 = 2 x 16 + a masked
// 8): the input varying along it is read as vectors, the per-row scalar
// broadcast, linalg.index of the vector dimension becomes lane indices.
#row = affine_map<(t, s) -> (t)>
#id = affine_map<(t, s) -> (t, s)>
// CHECK-LABEL: func.func @masked_scale
// CHECK:       scf.for %[[T:.*]] = %c0 to %c3 step %c1 {
// CHECK:         scf.for %[[S:.*]] = %c0 to %c32 step %c16 {
// CHECK:           %[[X:.*]] = vector.load %arg0[%[[T]], %[[S]]] : memref<3x40xf32>, vector<16xf32>
// CHECK:           %[[A:.*]] = memref.load %arg1[%[[T]]] : memref<3xf32>
// CHECK:           %[[STEP:.*]] = vector.step : vector<16xindex>
// CHECK:           arith.cmpi ule, %{{.*}}, %{{.*}} : vector<16xindex>
// CHECK:           arith.mulf %{{.*}}, %[[X]] : vector<16xf32>
// CHECK:           vector.store %{{.*}}, %arg2[%[[T]], %[[S]]]
// CHECK:         %[[M:.*]] = vector.constant_mask [8] : vector<16xi1>
// CHECK:         vector.maskedload %arg0[%[[T]], %c32], %[[M]]
// CHECK:         vector.maskedstore %arg2[%[[T]], %c32], %[[M]]
// CHECK-NOT:   linalg.generic
// AVX2-LABEL: func.func @masked_scale
// AVX2:       vector.load {{.*}} vector<8xf32>
func.func @masked_scale(%x: memref<3x40xf32>, %a: memref<3xf32>, %o: memref<3x40xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#id, #row, #id],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x, %a : memref<3x40xf32>, memref<3xf32>) outs(%o : memref<3x40xf32>) {
  ^bb0(%xv: f32, %av: f32, %ov: f32):
    %t = linalg.index 0 : index
    %s = linalg.index 1 : index
    %keep = arith.cmpi ule, %s, %t : index
    %m = arith.mulf %av, %xv : f32
    %r = arith.select %keep, %m, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A row maximum (the reduced dimension is contiguous in the input, the
// output is not along it): a vector accumulator from -inf, the tail
// selected to -inf, one horizontal maximumf, combined into the element.
#in = affine_map<(t, s) -> (t, s)>
#out = affine_map<(t, s) -> (t)>
// CHECK-LABEL: func.func @row_max
// CHECK:       scf.for %[[T:.*]] = %c0 to %c8 step %c1 {
// CHECK:         %[[ACC:.*]] = scf.for %{{.*}} = %c0 to %c32 step %c16 iter_args(%[[A:.*]] = %{{.*}}) -> (vector<16xf32>) {
// CHECK:           arith.maximumf %[[A]], %{{.*}} : vector<16xf32>
// CHECK:         vector.maskedload
// CHECK:         arith.select %{{.*}}, %{{.*}}, %{{.*}} : vector<16xi1>, vector<16xf32>
// CHECK:         %[[R:.*]] = vector.reduction <maximumf>, %{{.*}} : vector<16xf32> into f32
// CHECK:         %[[OLD:.*]] = memref.load %arg1[%[[T]]]
// CHECK:         %[[NEW:.*]] = arith.maximumf %[[OLD]], %[[R]] : f32
// CHECK:         memref.store %[[NEW]], %arg1[%[[T]]]
func.func @row_max(%x: memref<8x37xf32>, %m: memref<8xf32>) {
  linalg.generic {indexing_maps = [#in, #out],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<8x37xf32>) outs(%m : memref<8xf32>) {
  ^bb0(%xv: f32, %mv: f32):
    %r = arith.maximumf %mv, %xv : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A row sum may be reordered only with reassoc: without it the op is left
// alone; with it, a vector sum and a reassociating horizontal add.
#in = affine_map<(t, s) -> (t, s)>
#out = affine_map<(t, s) -> (t)>
// CHECK-LABEL: func.func @row_sums
// CHECK:         vector.reduction <add>, %{{.*}} fastmath<reassoc,contract> : vector<16xf32> into f32
// CHECK:       linalg.generic
// CHECK-NOT:     vector.reduction
func.func @row_sums(%x: memref<8x32xf32>, %l: memref<8xf32>, %l2: memref<8xf32>) {
  linalg.generic {indexing_maps = [#in, #out],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<8x32xf32>) outs(%l : memref<8xf32>) {
  ^bb0(%xv: f32, %lv: f32):
    %r = arith.addf %lv, %xv fastmath<reassoc,contract> : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#in, #out],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<8x32xf32>) outs(%l2 : memref<8xf32>) {
  ^bb0(%xv: f32, %lv: f32):
    %r = arith.addf %lv, %xv : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A reduction over a dimension that is not the output's (the in-chunk
// cumulative log-decay b_t = sum_{s <= t} g_s): vectorized along t, the s
// loop inside carrying the output vector, so each b_t sums its terms in
// order (no reassociation).
#g = affine_map<(t, s) -> (s)>
#b = affine_map<(t, s) -> (t)>
// CHECK-LABEL: func.func @cumulative_sum
// CHECK:       scf.for %[[T0:.*]] = %c0 to %c32 step %c16 {
// CHECK:         %[[B0:.*]] = vector.load %arg1[%[[T0]]] : memref<32xf32>, vector<16xf32>
// CHECK:         scf.for %[[S:.*]] = %c0 to %c32 step %c1 iter_args(%[[ACC:.*]] = %[[B0]]) -> (vector<16xf32>) {
// CHECK:         %[[G:.*]] = memref.load %arg0[%[[S]]] : memref<32xf32>
// CHECK:         %[[GV:.*]] = vector.broadcast %[[G]] : f32 to vector<16xf32>
// CHECK:         %[[INC:.*]] = arith.addf %[[ACC]], %[[GV]] : vector<16xf32>
// CHECK:         arith.select %{{.*}}, %[[INC]], %[[ACC]] : vector<16xi1>, vector<16xf32>
func.func @cumulative_sum(%g: memref<32xf32>, %b: memref<32xf32>) {
  linalg.generic {indexing_maps = [#g, #b],
                  iterator_types = ["parallel", "reduction"]}
      ins(%g : memref<32xf32>) outs(%b : memref<32xf32>) {
  ^bb0(%gv: f32, %bv: f32):
    %t = linalg.index 0 : index
    %s = linalg.index 1 : index
    %inc = arith.addf %bv, %gv : f32
    %le = arith.cmpi ule, %s, %t : index
    %r = arith.select %le, %inc, %bv : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// linalg.fill: vector stores of a splat.
// CHECK-LABEL: func.func @fill
// CHECK:       %[[V:.*]] = vector.broadcast %arg1 : f32 to vector<16xf32>
// CHECK:       scf.for
// CHECK:         vector.store %[[V]], %arg0
// CHECK:         vector.maskedstore %arg0[%{{.*}}, %c16], %{{.*}}, %[[V]]
func.func @fill(%o: memref<4x20xf32>, %v: f32) {
  linalg.fill ins(%v : f32) outs(%o : memref<4x20xf32>)
  return
}

// -----

// Left alone: a transpose (the input is read across its contiguous
// dimension), an integer division, dynamic sizes, and short rows.
#t = affine_map<(i, j) -> (j, i)>
#id = affine_map<(i, j) -> (i, j)>
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-4: linalg.generic
// CHECK-NOT:     vector.
func.func @left_alone(%x: memref<32x32xf32>, %o: memref<32x32xf32>,
                      %i: memref<32x32xi32>, %oi: memref<32x32xi32>,
                      %d: memref<?x32xf32>, %s: memref<32x2xf32>) {
  linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<32x32xf32>) outs(%o : memref<32x32xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%i : memref<32x32xi32>) outs(%oi : memref<32x32xi32>) {
  ^bb0(%a: i32, %b: i32):
    %q = arith.divsi %b, %a : i32
    linalg.yield %q : i32
  }
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]}
      outs(%d : memref<?x32xf32>) {
  ^bb0(%b: f32):
    %e = math.exp %b : f32
    linalg.yield %e : f32
  }
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]}
      outs(%s : memref<32x2xf32>) {
  ^bb0(%b: f32):
    %e = math.exp %b : f32
    linalg.yield %e : f32
  }
  return
}

// GPU: error: attn-cpu-vectorize-loops: 'sm_80' is not a CPU target
