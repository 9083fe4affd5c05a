// Static sizes may be anything up to 2^63 - 1, and form selection must
// price them at once. Found by a huge-size probe of issue 8: the cost
// model summed the causal key blocks of a softmax one query block at a time,
// so attn-select-form hung on T near 2^62, and it converted sizes from double
// back to int64 (undefined behaviour near 2^63).

// RUN: attn-opt %s -split-input-file --attn-select-form=explain --attn-select-chunk --attn-lower-chunkwise --attn-lower-to-reference -o /dev/null 2>&1 | FileCheck %s

// CHECK: remark: attn-select-form on x86-avx512: chunkwise(C=128) {{.*}}flash tiling, 3.60288e+16 query blocks of 128{{.*}}chosen: chunkwise
func.func @softmax_t_2_62(%q: tensor<1x4611686018427387903x1x16xf32>) -> tensor<1x4611686018427387903x1x16xf32> {
  %o = attn.softmax_attention %q, %q, %q : (tensor<1x4611686018427387903x1x16xf32>, tensor<1x4611686018427387903x1x16xf32>, tensor<1x4611686018427387903x1x16xf32>) -> tensor<1x4611686018427387903x1x16xf32>
  return %o : tensor<1x4611686018427387903x1x16xf32>
}

// -----

// CHECK: remark: attn-select-form on x86-avx512: {{.*}}4.61169e+18 sequential steps
func.func @delta_max_sizes(%q: tensor<9223372036854775807x4611686018427387903x9223372036854775807x1xf32>, %beta: tensor<9223372036854775807x4611686018427387903x9223372036854775807xf32>) -> tensor<9223372036854775807x4611686018427387903x9223372036854775807x1xf32> {
  %o = attn.delta_rule %q, %q, %q, %beta : (tensor<9223372036854775807x4611686018427387903x9223372036854775807x1xf32>, tensor<9223372036854775807x4611686018427387903x9223372036854775807x1xf32>, tensor<9223372036854775807x4611686018427387903x9223372036854775807x1xf32>, tensor<9223372036854775807x4611686018427387903x9223372036854775807xf32>) -> tensor<9223372036854775807x4611686018427387903x9223372036854775807x1xf32>
  return %o : tensor<9223372036854775807x4611686018427387903x9223372036854775807x1xf32>
}
