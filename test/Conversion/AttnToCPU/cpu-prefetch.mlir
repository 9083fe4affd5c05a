// RUN: attn-opt %s -attn-cpu-prefetch -canonicalize | FileCheck %s

// A chunk loop reading rows [16 i, 16 i + 16) of an argument and writing
// the same rows of another: each iteration first prefetches, when there is
// a next iteration, the next slice of both, one prefetch per 64-byte line
// (4 per 64-float row), the written one as a write. The local buffer is not
// prefetched.
// CHECK-LABEL: func.func @chunks
// CHECK:       scf.for %[[I:.*]] = %c0 to %c8 step %c1 {
// CHECK:         %[[NEXT:.*]] = arith.addi %[[I]], %c1 : index
// CHECK:         %[[MORE:.*]] = arith.cmpi slt, %[[NEXT]], %c8 : index
// CHECK:         scf.if %[[MORE]] {
// CHECK:           %[[ROW:.*]] = affine.apply #{{.*}}(%[[NEXT]])
// CHECK:           %[[IN:.*]] = memref.subview %arg0[%[[ROW]], 0] [16, 64] [1, 1]
// CHECK:           scf.for %[[R:.*]] = %c0 to %c16 step %c1 {
// CHECK:             scf.for %[[C:.*]] = %c0 to %c64 step %c16 {
// CHECK:               memref.prefetch %[[IN]][%[[R]], %[[C]]], read, locality<3>, data
// CHECK:           memref.subview %arg1
// CHECK:               memref.prefetch %{{.*}}, write, locality<3>, data
// CHECK-NOT:       memref.prefetch
// CHECK:         }
// CHECK:         memref.copy
func.func @chunks(%x: memref<128x64xf32>, %y: memref<128x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %tmp = memref.alloc() : memref<128x64xf32>
  scf.for %i = %c0 to %c8 step %c1 {
    %row = affine.apply affine_map<(d0) -> (d0 * 16)>(%i)
    %in = memref.subview %x[%row, 0] [16, 64] [1, 1] : memref<128x64xf32> to memref<16x64xf32, strided<[64, 1], offset: ?>>
    %out = memref.subview %y[%row, 0] [16, 64] [1, 1] : memref<128x64xf32> to memref<16x64xf32, strided<[64, 1], offset: ?>>
    %loc = memref.subview %tmp[%row, 0] [16, 64] [1, 1] : memref<128x64xf32> to memref<16x64xf32, strided<[64, 1], offset: ?>>
    memref.copy %in, %out : memref<16x64xf32, strided<[64, 1], offset: ?>> to memref<16x64xf32, strided<[64, 1], offset: ?>>
    memref.copy %loc, %out : memref<16x64xf32, strided<[64, 1], offset: ?>> to memref<16x64xf32, strided<[64, 1], offset: ?>>
  }
  memref.dealloc %tmp : memref<128x64xf32>
  return
}
