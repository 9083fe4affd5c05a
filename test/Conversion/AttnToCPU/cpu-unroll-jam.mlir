// RUN: attn-opt %s -attn-cpu-unroll-jam -cse -split-input-file | FileCheck %s
// RUN: attn-opt %s -attn-cpu-unroll-jam=factor=1 -split-input-file | FileCheck %s --check-prefix=OFF

// A bufferized contraction C[i, j] += A[i, k] B[k, j] (j innermost) becomes
// affine loops whose i loop is unroll-and-jammed by 4: four rows of C per
// (k, j) iteration, all from one load of B[k, j].
#mA = affine_map<(i, k, j) -> (i, k)>
#mB = affine_map<(i, k, j) -> (k, j)>
#mC = affine_map<(i, k, j) -> (i, j)>
// CHECK-LABEL: func.func @contraction
// CHECK:       affine.for %[[I:.*]] = 0 to 8 step 4 {
// CHECK-NEXT:    affine.for %{{.*}} = 0 to 16 {
// CHECK-NEXT:      affine.for %{{.*}} = 0 to 32 {
// CHECK-COUNT-1:     affine.load %arg1
// CHECK-COUNT-4:     affine.store
// CHECK-NOT:         affine.store
// CHECK:       return
// OFF-LABEL: func.func @contraction
// OFF:         linalg.generic
func.func @contraction(%a: memref<8x16xf32>, %b: memref<16x32xf32>,
                       %c: memref<8x32xf32>) {
  linalg.generic {indexing_maps = [#mA, #mB, #mC],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : memref<8x16xf32>, memref<16x32xf32>)
      outs(%c : memref<8x32xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %z, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Elementwise ops, tensors, and contractions without a parallel loop of at
// least 4 iterations outside the innermost are left alone.
#id = affine_map<(i, j) -> (i, j)>
#mA2 = affine_map<(i, k, j) -> (i, k)>
#mB2 = affine_map<(i, k, j) -> (k, j)>
#mC2 = affine_map<(i, k, j) -> (i, j)>
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-2: linalg.generic
// CHECK-NOT:     affine.for
func.func @left_alone(%x: memref<8x32xf32>, %a: memref<2x16xf32>,
                      %b: memref<16x32xf32>, %c: memref<2x32xf32>) {
  linalg.generic {indexing_maps = [#id],
                  iterator_types = ["parallel", "parallel"]}
      outs(%x : memref<8x32xf32>) {
  ^bb0(%o: f32):
    %d = arith.addf %o, %o : f32
    linalg.yield %d : f32
  }
  linalg.generic {indexing_maps = [#mA2, #mB2, #mC2],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : memref<2x16xf32>, memref<16x32xf32>)
      outs(%c : memref<2x32xf32>) {
  ^bb0(%p: f32, %q: f32, %r: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %r, %m : f32
    linalg.yield %s : f32
  }
  return
}
