// A chunk size larger than a static T is one chunk of T. It used to pad T up
// to C: `attn-run --form=chunkwise --chunk-size=1000000000` on T = 7 asked
// the JIT'd code for 128 GB per padded input and crashed.

// RUN: attn-opt %s --attn-lower-chunkwise | FileCheck %s
// RUN: attn-run %s --func=linear --form=chunkwise --chunk-size=1000000000 --check | FileCheck %s --check-prefix=EXEC
// RUN: attn-run %s --func=delta --form=chunkwise --chunk-size=1000000000 --check | FileCheck %s --check-prefix=EXEC
// RUN: attn-run %s --func=softmax --form=chunkwise --chunk-size=1000000000 --check | FileCheck %s --check-prefix=EXEC
// EXEC-NOT: FAIL
// EXEC: result #0 'o' {{.*}} ok

// The 7 x 7 intra-chunk scores, no padding and no trace of C.
// CHECK-LABEL: func.func @linear
// CHECK-NOT: 1000000000
// CHECK: tensor<1x2x7x7xf32>
// CHECK-NOT: 1000000000
// CHECK-LABEL: func.func @delta
// CHECK-NOT: 1000000000
// CHECK: tensor<1x2x7x7xf32>
// CHECK-NOT: 1000000000
// CHECK-LABEL: func.func @softmax
// CHECK-NOT: 1000000000
// CHECK: tensor<1x2x7x7xf32>
// CHECK-NOT: 1000000000
func.func @linear(%q: tensor<1x7x2x16xf32>, %k: tensor<1x7x2x16xf32>, %v: tensor<1x7x2x16xf32>) -> tensor<1x7x2x16xf32> {
  %o = attn.linear_attention %q, %k, %v {form = #attn.form<chunkwise>, chunk_size = 1000000000} : (tensor<1x7x2x16xf32>, tensor<1x7x2x16xf32>, tensor<1x7x2x16xf32>) -> tensor<1x7x2x16xf32>
  return %o : tensor<1x7x2x16xf32>
}
func.func @delta(%q: tensor<1x7x2x16xf32>, %k: tensor<1x7x2x16xf32>, %v: tensor<1x7x2x16xf32>, %beta: tensor<1x7x2xf32>) -> (tensor<1x7x2x16xf32>, tensor<1x2x16x16xf32>) {
  %o, %s = attn.delta_rule %q, %k, %v, %beta {form = #attn.form<chunkwise>, chunk_size = 1000000000} : (tensor<1x7x2x16xf32>, tensor<1x7x2x16xf32>, tensor<1x7x2x16xf32>, tensor<1x7x2xf32>) -> (tensor<1x7x2x16xf32>, tensor<1x2x16x16xf32>)
  return %o, %s : tensor<1x7x2x16xf32>, tensor<1x2x16x16xf32>
}
func.func @softmax(%q: tensor<1x7x2x16xf32>, %k: tensor<1x7x2x16xf32>, %v: tensor<1x7x2x16xf32>) -> tensor<1x7x2x16xf32> {
  %o = attn.softmax_attention %q, %k, %v {form = #attn.form<chunkwise>, chunk_size = 1000000000} : (tensor<1x7x2x16xf32>, tensor<1x7x2x16xf32>, tensor<1x7x2x16xf32>) -> tensor<1x7x2x16xf32>
  return %o : tensor<1x7x2x16xf32>
}
