// RUN: attn-opt %s --attn-reference-to-llvm | FileCheck %s
// RUN: attn-opt %s --attn-reference-to-llvm=results-to-out-params | FileCheck %s --check-prefix=OUT

// The whole reference pipeline ends in the LLVM dialect.
// CHECK-NOT: attn.
// CHECK-NOT: linalg.
// CHECK-NOT: memref.
// CHECK: llvm.func @delta(
// CHECK-SAME: -> !llvm.struct<(struct<(ptr, ptr, i64, array<4 x i64>, array<4 x i64>)>, struct<(ptr, ptr, i64, array<4 x i64>, array<4 x i64>)>)>
// Exponentials are polynomials (attn-cpu-approximate-math), not calls.
// CHECK-NOT: llvm.intr.exp
// CHECK: llvm.intr.fma
// CHECK-NOT: llvm.intr.exp

// With results-to-out-params the results are trailing arguments.
// OUT: llvm.func @delta({{.*}}) {
func.func @delta(%q: tensor<1x7x2x16xbf16>, %k: tensor<1x7x2x16xbf16>, %v: tensor<1x7x2x8xbf16>, %beta: tensor<1x7x2xf32>, %g: tensor<1x7x2xf32>) -> (tensor<1x7x2x8xbf16>, tensor<1x2x16x8xf32>) {
  %o, %s = attn.delta_rule %q, %k, %v, %beta gate(%g) : (tensor<1x7x2x16xbf16>, tensor<1x7x2x16xbf16>, tensor<1x7x2x8xbf16>, tensor<1x7x2xf32>, tensor<1x7x2xf32>) -> (tensor<1x7x2x8xbf16>, tensor<1x2x16x8xf32>)
  return %o, %s : tensor<1x7x2x8xbf16>, tensor<1x2x16x8xf32>
}
