// RUN: attn-opt %s -attn-cpu-vectorize-contractions -canonicalize -cse -split-input-file | FileCheck %s
// RUN: attn-opt %s -attn-cpu-vectorize-contractions=target=x86-avx2 -canonicalize -cse -split-input-file | FileCheck %s --check-prefix=AVX2
// RUN: not attn-opt %s -attn-cpu-vectorize-contractions=target=sm_90 -split-input-file 2>&1 | FileCheck %s --check-prefix=GPU

// C[i, j] += A[i, k] B[k, j] with 12 x 64 outputs: on AVX-512, tiles of 5
// rows x 4 vectors of 16 lanes (then a tile of the last 2 rows); per k step
// 4 loads of B's row, 5 broadcasts of A's column and 20 FMAs on
// accumulators held in the loop.
#mA = affine_map<(i, k, j) -> (i, k)>
#mB = affine_map<(i, k, j) -> (k, j)>
#mC = affine_map<(i, k, j) -> (i, j)>
// CHECK-LABEL: func.func @nn
// CHECK:       scf.for %[[M0:.*]] = %c0 to %c10 step %c5 {
// CHECK-COUNT-20: vector.load %arg2
// CHECK:         scf.for %[[K:.*]] = %c0 to %c16 step %c1 iter_args(
// CHECK-COUNT-4:   vector.load %arg1[%[[K]],
// CHECK:           memref.load %arg0[%[[M0]], %[[K]]]
// CHECK-NEXT:      vector.broadcast
// CHECK-COUNT-20:  vector.fma
// CHECK:           scf.yield
// CHECK-COUNT-20: vector.store
// CHECK:       vector.load %arg2[%c10, %c0]
// CHECK-COUNT-8: vector.fma
// CHECK-NOT:   linalg.generic
// AVX2-LABEL: func.func @nn
// AVX2:       scf.for %{{.*}} = %c0 to %c10 step %c5 {
// AVX2:         scf.for %{{.*}} = %c0 to %c64 step %c16 {
// AVX2-COUNT-10: vector.load %arg2{{.*}} vector<8xf32>
// AVX2:           scf.for
// AVX2-COUNT-10:    vector.fma {{.*}} : vector<8xf32>
func.func @nn(%a: memref<12x16xf32>, %b: memref<16x64xf32>, %c: memref<12x64xf32>) {
  linalg.generic {indexing_maps = [#mA, #mB, #mC],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : memref<12x16xf32>, memref<16x64xf32>)
      outs(%c : memref<12x64xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %z, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Ragged sizes: 7 rows (a tile of 7 after none of 8), 40 columns (two full
// vectors and a last one masked to 8 lanes).
#mA = affine_map<(i, k, j) -> (i, k)>
#mB = affine_map<(i, k, j) -> (k, j)>
#mC = affine_map<(i, k, j) -> (i, j)>
// CHECK-LABEL: func.func @ragged
// CHECK:       %[[MASK:.*]] = vector.constant_mask [8] : vector<16xi1>
// CHECK:       vector.maskedload %arg2[%c0, %c32], %[[MASK]]
// CHECK:       scf.for
// CHECK:         vector.maskedload %arg1[%{{.*}}, %c32], %[[MASK]]
// CHECK-COUNT-21: vector.fma
// CHECK:       vector.maskedstore %arg2[%c6, %c32], %[[MASK]]
func.func @ragged(%a: memref<7x5xf32>, %b: memref<5x40xf32>, %c: memref<7x40xf32>) {
  linalg.generic {indexing_maps = [#mA, #mB, #mC],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : memref<7x5xf32>, memref<5x40xf32>)
      outs(%c : memref<7x40xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %m, %z : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// C -= A B^T with bf16 inputs, as the lowerings write them: B read along k
// is packed into an f32 [K, N] buffer, 16 x 16 blocks at a time (16 vector
// loads along k, extended, transposed by 4 stages of 16 shuffles, 16 vector
// stores along n); A's elements are extended and negated before the
// broadcast. Unit dimensions index 0.
#mA = affine_map<(b, t, s, i) -> (b, t, 0, i)>
#mB = affine_map<(b, t, s, i) -> (b, s, 0, i)>
#mC = affine_map<(b, t, s, i) -> (b, 0, t, s)>
// CHECK-LABEL: func.func @transposed_bf16
// CHECK:       %[[P:.*]] = memref.alloc() {alignment = 64 : i64} : memref<32x16xf32>
// CHECK:       scf.for %[[K0:.*]] = %c0 to %c32 step %c16
// CHECK:         %[[X:.*]] = vector.load %arg1[%c0, %c0, %c0, %[[K0]]] : memref<1x16x1x32xbf16>, vector<16xbf16>
// CHECK:         arith.extf %[[X]] : vector<16xbf16> to vector<16xf32>
// CHECK-COUNT-64: vector.shuffle
// CHECK-COUNT-16: vector.store %{{.*}}, %[[P]][
// CHECK:       scf.for
// CHECK:         vector.load %[[P]]
// CHECK:         arith.extf {{.*}} : bf16 to f32
// CHECK-NEXT:    arith.negf
// CHECK-NEXT:    vector.broadcast
// CHECK:       memref.dealloc %[[P]]
func.func @transposed_bf16(%a: memref<1x8x1x32xbf16>, %b: memref<1x16x1x32xbf16>,
                           %c: memref<1x1x8x16xf32>) {
  linalg.generic {indexing_maps = [#mA, #mB, #mC],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<1x8x1x32xbf16>, memref<1x16x1x32xbf16>)
      outs(%c : memref<1x1x8x16xf32>) {
  ^bb0(%x: bf16, %y: bf16, %z: f32):
    %xf = arith.extf %x : bf16 to f32
    %yf = arith.extf %y : bf16 to f32
    %m = arith.mulf %xf, %yf : f32
    %s = arith.subf %z, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Inside sequential loops, the pack buffer is allocated once, before the
// outermost of them (here in the body of a parallel loop: one per thread).
// K = 4 is less than a vector: the pack is element by element.
#mA = affine_map<(i, k, j) -> (i, k)>
#mBt = affine_map<(i, k, j) -> (j, k)>
#mC = affine_map<(i, k, j) -> (i, j)>
// CHECK-LABEL: func.func @hoisted_pack
// CHECK:       scf.forall
// CHECK-NEXT:    memref.alloc() {alignment = 64 : i64} : memref<4x16xf32>
// CHECK-NEXT:    scf.for
// CHECK:         memref.dealloc
func.func @hoisted_pack(%a: memref<8x4xf32>, %b: memref<16x4xf32>, %c: memref<8x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  scf.forall (%h) in (2) {
    scf.for %i = %c0 to %c3 step %c1 {
      linalg.generic {indexing_maps = [#mA, #mBt, #mC],
                      iterator_types = ["parallel", "reduction", "parallel"]}
          ins(%a, %b : memref<8x4xf32>, memref<16x4xf32>)
          outs(%c : memref<8x16xf32>) {
      ^bb0(%x: f32, %y: f32, %z: f32):
        %m = arith.mulf %x, %y : f32
        %s = arith.addf %z, %m : f32
        linalg.yield %s : f32
      }
    }
  }
  return
}

// -----

// A batch dimension B uses (here the rows of the forward substitution's
// right-hand side differ per batch) becomes a loop around the kernel; a
// single-row C gets one-row tiles.
#mA = affine_map<(g, k, j) -> (g, k)>
#mB = affine_map<(g, k, j) -> (g, k, j)>
#mC = affine_map<(g, k, j) -> (g, 0, j)>
// CHECK-LABEL: func.func @batched_rows
// CHECK:       scf.for %[[G:.*]] = %c0 to %c3 step %c1 {
// CHECK:         vector.load %arg2[%[[G]], %c0, %c0]
// CHECK:         scf.for %[[K:.*]] = %c0 to %c8
// CHECK:           vector.load %arg1[%[[G]], %[[K]], %c0]
// CHECK-COUNT-1:   vector.fma
// CHECK-NOT:       vector.fma
// CHECK:           scf.yield
func.func @batched_rows(%a: memref<3x8xf32>, %b: memref<3x8x16xf32>, %c: memref<3x1x16xf32>) {
  linalg.generic {indexing_maps = [#mA, #mB, #mC],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : memref<3x8xf32>, memref<3x8x16xf32>)
      outs(%c : memref<3x1x16xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %z, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Left alone: dynamic sizes, a body with more than a multiply-add, three
// inputs, C whose last dimension is not contiguous, and tensors.
#mA = affine_map<(i, k, j) -> (i, k)>
#mB = affine_map<(i, k, j) -> (k, j)>
#mC = affine_map<(i, k, j) -> (i, j)>
#mCt = affine_map<(i, k, j) -> (j, i)>
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-5: linalg.generic
// CHECK-NOT:     vector.fma
func.func @left_alone(%a: memref<?x16xf32>, %b: memref<16x32xf32>, %c: memref<?x32xf32>,
                      %a2: memref<8x16xf32>, %c2: memref<8x32xf32>,
                      %ct: memref<32x8xf32, strided<[1, 32]>>,
                      %ta: tensor<8x16xf32>, %tb: tensor<16x32xf32>, %tc: tensor<8x32xf32>) -> tensor<8x32xf32> {
  linalg.generic {indexing_maps = [#mA, #mB, #mC],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : memref<?x16xf32>, memref<16x32xf32>) outs(%c : memref<?x32xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %z, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#mA, #mB, #mC],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a2, %b : memref<8x16xf32>, memref<16x32xf32>) outs(%c2 : memref<8x32xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %e = math.exp %x : f32
    %m = arith.mulf %e, %y : f32
    %s = arith.addf %z, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#mA, #mB, #mA, #mC],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a2, %b, %a2 : memref<8x16xf32>, memref<16x32xf32>, memref<8x16xf32>) outs(%c2 : memref<8x32xf32>) {
  ^bb0(%x: f32, %y: f32, %w: f32, %z: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %z, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#mA, #mB, #mCt],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a2, %b : memref<8x16xf32>, memref<16x32xf32>) outs(%ct : memref<32x8xf32, strided<[1, 32]>>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %z, %m : f32
    linalg.yield %s : f32
  }
  %r = linalg.generic {indexing_maps = [#mA, #mB, #mC],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%ta, %tb : tensor<8x16xf32>, tensor<16x32xf32>) outs(%tc : tensor<8x32xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %z, %m : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// GPU: error: attn-cpu-vectorize-contractions: 'sm_90' is not a CPU target
