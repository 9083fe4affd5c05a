// RUN: attn-opt %s -split-input-file --attn-parallelize-heads | FileCheck %s
// RUN: attn-opt %s -split-input-file --attn-to-cpu | FileCheck %s --check-prefix=CPU

// Each (batch, head) pair becomes an iteration of an scf.forall running the
// same op (form and chunk size kept) on its [1, T, 1, D] slices.
// CHECK-LABEL: func.func @gated_delta
// CHECK:         %[[O:.*]] = tensor.empty() : tensor<2x100x4x8xf32>
// CHECK:         %[[S:.*]] = tensor.empty() : tensor<2x4x16x8xf32>
// CHECK:         scf.forall (%[[B:.*]], %[[H:.*]]) in (2, 4) shared_outs(%[[OO:.*]] = %[[O]], %[[SS:.*]] = %[[S]])
// CHECK:           tensor.extract_slice %{{.*}}[%[[B]], 0, %[[H]], 0] [1, 100, 1, 16]
// CHECK:           tensor.extract_slice %{{.*}}[%[[B]], 0, %[[H]]] [1, 100, 1]
// CHECK:           tensor.extract_slice %{{.*}}[%[[B]], %[[H]], 0, 0] [1, 1, 16, 8]
// CHECK:           attn.delta_rule {{.*}}{chunk_size = 32 : i64, form = #attn.form<chunkwise>} : ({{.*}}) -> (tensor<1x100x1x8xf32>, tensor<1x1x16x8xf32>)
// CHECK:           scf.forall.in_parallel
// CHECK:             tensor.parallel_insert_slice %{{.*}} into %[[OO]][%[[B]], 0, %[[H]], 0] [1, 100, 1, 8]
// CHECK:             tensor.parallel_insert_slice %{{.*}} into %[[SS]][%[[B]], %[[H]], 0, 0] [1, 1, 16, 8]
// The CPU pipeline runs the heads as an OpenMP worksharing loop.
// CPU-LABEL: llvm.func @gated_delta
// CPU: omp.parallel
// CPU: omp.wsloop
func.func @gated_delta(%q: tensor<2x100x4x16xf32>, %k: tensor<2x100x4x16xf32>, %v: tensor<2x100x4x8xf32>, %b: tensor<2x100x4xf32>, %g: tensor<2x100x4xf32>, %s0: tensor<2x4x16x8xf32>) -> (tensor<2x100x4x8xf32>, tensor<2x4x16x8xf32>) {
  %o, %s = attn.delta_rule %q, %k, %v, %b gate(%g) initial_state(%s0) {form = #attn.form<chunkwise>, chunk_size = 32} : (tensor<2x100x4x16xf32>, tensor<2x100x4x16xf32>, tensor<2x100x4x8xf32>, tensor<2x100x4xf32>, tensor<2x100x4xf32>, tensor<2x4x16x8xf32>) -> (tensor<2x100x4x8xf32>, tensor<2x4x16x8xf32>)
  return %o, %s : tensor<2x100x4x8xf32>, tensor<2x4x16x8xf32>
}

// -----

// Dynamic sizes: the forall bounds and result sizes come from the operands.
// CHECK-LABEL: func.func @dynamic
// CHECK:         tensor.empty({{.*}}) : tensor<?x?x?x16xf32>
// CHECK:         %[[BD:.*]] = tensor.dim %arg0, %c0{{.*}} : tensor<?x?x?x16xf32>
// CHECK:         %[[HD:.*]] = tensor.dim %arg0, %c2{{.*}} : tensor<?x?x?x16xf32>
// CHECK:         scf.forall ({{.*}}) in (%[[BD]], %[[HD]])
// CHECK:           attn.softmax_attention {{.*}} -> tensor<1x?x1x16xf32>
func.func @dynamic(%q: tensor<?x?x?x16xf32>, %k: tensor<?x?x?x16xf32>, %v: tensor<?x?x?x16xf32>) -> tensor<?x?x?x16xf32> {
  %o = attn.softmax_attention %q, %k, %v : (tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>) -> tensor<?x?x?x16xf32>
  return %o : tensor<?x?x?x16xf32>
}

// -----

// One head already: nothing to do.
// CHECK-LABEL: func.func @single
// CHECK-NOT:     scf.forall
// CHECK:         attn.linear_attention
func.func @single(%q: tensor<1x8x1x16xf32>, %k: tensor<1x8x1x16xf32>, %v: tensor<1x8x1x16xf32>) -> tensor<1x8x1x16xf32> {
  %o = attn.linear_attention %q, %k, %v : (tensor<1x8x1x16xf32>, tensor<1x8x1x16xf32>, tensor<1x8x1x16xf32>) -> tensor<1x8x1x16xf32>
  return %o : tensor<1x8x1x16xf32>
}
