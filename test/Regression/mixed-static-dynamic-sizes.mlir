// Ops whose sizes are static in one operand and dynamic in another (Dv static
// in v, dynamic in o). Found by attn-fuzz: attn-parallelize-heads built its
// output from the operands' sizes, more static than the op's result type, and
// left IR that did not verify; the lowerings then replaced results with values
// of a different type. Both now keep the op's result types (tensor.cast where
// the lowered value knows more). A dynamic head count prints as '?'.

// RUN: attn-opt %s --attn-parallelize-heads | FileCheck %s
// RUN: attn-opt %s --attn-to-cpu -o /dev/null
// RUN: attn-opt %s --attn-to-llvm -o /dev/null
// RUN: attn-opt %s --attn-to-llvm="form=quadratic" -o /dev/null
// RUN: attn-opt %s --attn-reference-to-llvm -o /dev/null
// RUN: not attn-opt %s --attn-lower-to-reference 2>&1 | FileCheck %s --check-prefix=GROUPED
// GROUPED: error: 'attn.softmax_attention' op has grouped heads (? query heads, 4 key/value heads): run --attn-parallelize-heads first

// CHECK-LABEL: func.func @softmax
// CHECK: scf.forall {{.*}} -> (tensor<?x32x?x?xf32>)
// CHECK: attn.softmax_attention {{.*}} -> tensor<1x32x1x?xf32>
// CHECK: tensor.parallel_insert_slice {{.*}} : tensor<1x32x1x?xf32> into tensor<?x32x?x?xf32>
// CHECK-LABEL: func.func @gated
// CHECK: scf.forall {{.*}} -> (tensor<?x32x?x?xf32>, tensor<2x?x16x?xf32>)
// CHECK-LABEL: func.func @delta
// CHECK: scf.forall {{.*}} -> (tensor<?x32x?x?xf32>, tensor<2x?x16x?xf32>)
// CHECK-LABEL: func.func @linear
// CHECK: scf.forall {{.*}} -> (tensor<?x32x?x?xf32>)
func.func @softmax(%q: tensor<2x?x?x16xf32>, %k: tensor<?x64x4x?xf32>, %v: tensor<2x?x4x8xf32>) -> tensor<?x32x?x?xf32> {
  %o = attn.softmax_attention %q, %k, %v : (tensor<2x?x?x16xf32>, tensor<?x64x4x?xf32>, tensor<2x?x4x8xf32>) -> tensor<?x32x?x?xf32>
  return %o : tensor<?x32x?x?xf32>
}
func.func @gated(%q: tensor<2x?x4x16xf32>, %k: tensor<?x32x?x?xf32>, %v: tensor<?x?x4x8xf32>, %g: tensor<?x32x4xf32>, %s0: tensor<?x4x?x8xf32>) -> (tensor<?x32x?x?xf32>, tensor<2x?x16x?xf32>) {
  %o, %s = attn.gated_linear_attention %q, %k, %v, %g initial_state(%s0) : (tensor<2x?x4x16xf32>, tensor<?x32x?x?xf32>, tensor<?x?x4x8xf32>, tensor<?x32x4xf32>, tensor<?x4x?x8xf32>) -> (tensor<?x32x?x?xf32>, tensor<2x?x16x?xf32>)
  return %o, %s : tensor<?x32x?x?xf32>, tensor<2x?x16x?xf32>
}
func.func @delta(%q: tensor<2x?x4x16xf32>, %k: tensor<?x32x?x?xf32>, %v: tensor<?x?x4x8xf32>, %b: tensor<?x32x4xf32>, %g: tensor<2x?x?xf32>) -> (tensor<?x32x?x?xf32>, tensor<2x?x16x?xf32>) {
  %o, %s = attn.delta_rule %q, %k, %v, %b gate(%g) : (tensor<2x?x4x16xf32>, tensor<?x32x?x?xf32>, tensor<?x?x4x8xf32>, tensor<?x32x4xf32>, tensor<2x?x?xf32>) -> (tensor<?x32x?x?xf32>, tensor<2x?x16x?xf32>)
  return %o, %s : tensor<?x32x?x?xf32>, tensor<2x?x16x?xf32>
}
func.func @linear(%q: tensor<2x?x4x16xf32>, %k: tensor<?x32x?x?xf32>, %v: tensor<?x?x4x8xf32>) -> tensor<?x32x?x?xf32> {
  %o = attn.linear_attention %q, %k, %v {causal = false, normalize} : (tensor<2x?x4x16xf32>, tensor<?x32x?x?xf32>, tensor<?x?x4x8xf32>) -> tensor<?x32x?x?xf32>
  return %o : tensor<?x32x?x?xf32>
}
