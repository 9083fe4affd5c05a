// RUN: attn-opt %s -split-input-file --attn-parallelize-heads=grouped-only=true | FileCheck %s
// RUN: attn-opt %s -split-input-file --attn-select-form | FileCheck %s --check-prefix=FORM
// RUN: attn-opt %s -split-input-file --attn-to-cpu -o /dev/null
// RUN: attn-opt %s -split-input-file --attn-reference-to-llvm -o /dev/null

// Packed sequences (cu_seqlens) become an scf.forall over (sequence, head)
// even where heads are not parallelized (grouped-only): each iteration reads
// its sequence's offsets, clamped into [0, T], slices [1, len, 1, D] of T
// and row n of the states, and runs the op without cu_seqlens on them. The
// output starts as zeros (positions outside every sequence).
// CHECK-LABEL: func.func @linear
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x100x4x16xf32>, %[[K:[^:]+]]: tensor<1x100x2x16xf32>, %[[V:[^:]+]]: tensor<1x100x2x8xf32>, %[[S0:[^:]+]]: tensor<3x4x16x8xf32>, %[[CU:[^:]+]]: tensor<4xi32>)
// CHECK:         %[[ZERO:.*]] = linalg.fill {{.*}} -> tensor<1x100x4x8xf32>
// CHECK:         %[[S:.*]] = tensor.empty() : tensor<3x4x16x8xf32>
// CHECK:         scf.forall (%[[N:.*]], %[[H:.*]]) in (3, 4) shared_outs(%[[OO:.*]] = %[[ZERO]], %[[SS:.*]] = %[[S]])
// CHECK:           %[[KVH:.*]] = arith.divui %[[H]]
// CHECK:           %[[C0:.*]] = tensor.extract %[[CU]][%[[N]]] : tensor<4xi32>
// CHECK:           %[[I0:.*]] = arith.index_cast %[[C0]] : i32 to index
// CHECK:           %[[M0:.*]] = arith.maxsi %[[I0]]
// CHECK:           %[[START:.*]] = arith.minsi %[[M0]]
// CHECK:           %[[NEXT:.*]] = arith.addi %[[N]]
// CHECK:           tensor.extract %[[CU]][%[[NEXT]]] : tensor<4xi32>
// CHECK:           %[[END:.*]] = arith.maxsi %{{.*}}, %[[START]] : index
// CHECK:           %[[LEN:.*]] = arith.subi %[[END]], %[[START]] : index
// CHECK:           %[[QS:.*]] = tensor.extract_slice %[[Q]][0, %[[START]], %[[H]], 0] [1, %[[LEN]], 1, 16] {{.*}} to tensor<1x?x1x16xf32>
// CHECK:           %[[KS:.*]] = tensor.extract_slice %[[K]][0, %[[START]], %[[KVH]], 0] [1, %[[LEN]], 1, 16] {{.*}} to tensor<1x?x1x16xf32>
// CHECK:           %[[VS:.*]] = tensor.extract_slice %[[V]][0, %[[START]], %[[KVH]], 0] [1, %[[LEN]], 1, 8] {{.*}} to tensor<1x?x1x8xf32>
// CHECK:           %[[SS0:.*]] = tensor.extract_slice %[[S0]][%[[N]], %[[H]], 0, 0] [1, 1, 16, 8]
// CHECK:           %[[O:.*]], %[[FS:.*]] = attn.linear_attention %[[QS]], %[[KS]], %[[VS]] initial_state(%[[SS0]]) {normalize} : (tensor<1x?x1x16xf32>, tensor<1x?x1x16xf32>, tensor<1x?x1x8xf32>, tensor<1x1x16x8xf32>) -> (tensor<1x?x1x8xf32>, tensor<1x1x16x8xf32>)
// CHECK:           scf.forall.in_parallel
// CHECK:             tensor.parallel_insert_slice %[[O]] into %[[OO]][0, %[[START]], %[[H]], 0] [1, %[[LEN]], 1, 8]
// CHECK:             tensor.parallel_insert_slice %[[FS]] into %[[SS]][%[[N]], %[[H]], 0, 0] [1, 1, 16, 8]
// FORM-LABEL: func.func @linear
// FORM:         attn.linear_attention {{.*}}form = #attn.form<{{chunkwise|recurrent}}>
func.func @linear(%q: tensor<1x100x4x16xf32>, %k: tensor<1x100x2x16xf32>, %v: tensor<1x100x2x8xf32>, %s0: tensor<3x4x16x8xf32>, %cu: tensor<4xi32>) -> (tensor<1x100x4x8xf32>, tensor<3x4x16x8xf32>) {
  %o, %s = attn.linear_attention %q, %k, %v initial_state(%s0) cu_seqlens(%cu) {normalize} : (tensor<1x100x4x16xf32>, tensor<1x100x2x16xf32>, tensor<1x100x2x8xf32>, tensor<3x4x16x8xf32>, tensor<4xi32>) -> (tensor<1x100x4x8xf32>, tensor<3x4x16x8xf32>)
  return %o, %s : tensor<1x100x4x8xf32>, tensor<3x4x16x8xf32>
}

// -----

// A FAVOR+ projection is shared by every head and sequence: not sliced.
// The number of sequences may be dynamic: the loop runs to
// max(dim(cu) - 1, 0).
// CHECK-LABEL: func.func @favor_dynamic_count
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x64x2x16xf32>, %[[W:[^:]+]]: tensor<32x16xf32>, %[[V:[^:]+]]: tensor<1x64x2x8xf32>, %[[CU:[^:]+]]: tensor<?xi32>)
// CHECK:         %[[D:.*]] = tensor.dim %[[CU]], %{{.*}} : tensor<?xi32>
// CHECK:         %[[NS:.*]] = affine.max {{.*}}[%[[D]]]
// CHECK:         tensor.empty(%[[NS]]) : tensor<?x2x32x8xf32>
// CHECK:         scf.forall ({{.*}}) in (%[[NS]], 2)
// CHECK:           attn.linear_attention %{{.*}}, %{{.*}}, %{{.*}} projection(%[[W]]) {feature_map = #attn.feature_map<favor>} : ({{.*}}, tensor<32x16xf32>) -> (tensor<1x?x1x8xf32>, tensor<1x1x32x8xf32>)
// FORM-LABEL: func.func @favor_dynamic_count
func.func @favor_dynamic_count(%q: tensor<1x64x2x16xf32>, %w: tensor<32x16xf32>, %v: tensor<1x64x2x8xf32>, %cu: tensor<?xi32>) -> (tensor<1x64x2x8xf32>, tensor<?x2x32x8xf32>) {
  %o, %s = attn.linear_attention %q, %q, %v projection(%w) cu_seqlens(%cu) {feature_map = #attn.feature_map<favor>} : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x8xf32>, tensor<32x16xf32>, tensor<?xi32>) -> (tensor<1x64x2x8xf32>, tensor<?x2x32x8xf32>)
  return %o, %s : tensor<1x64x2x8xf32>, tensor<?x2x32x8xf32>
}

// -----

// Softmax attention slices q, k and v alike; form selection keeps to forms
// linear in each sequence's length (their lengths are run-time data).
// CHECK-LABEL: func.func @softmax
// CHECK:         scf.forall ({{.*}}) in (7, 8)
// CHECK:           attn.softmax_attention {{.*}} {causal = false} : (tensor<1x?x1x16xf32>, tensor<1x?x1x16xf32>, tensor<1x?x1x16xf32>) -> tensor<1x?x1x16xf32>
// FORM-LABEL: func.func @softmax
// FORM:         attn.softmax_attention {{.*}}form = #attn.form<chunkwise>
func.func @softmax(%q: tensor<1x64x8x16xf32>, %k: tensor<1x64x8x16xf32>, %cu: tensor<8xi32>) -> tensor<1x64x8x16xf32> {
  %o = attn.softmax_attention %q, %k, %k cu_seqlens(%cu) {causal = false} : (tensor<1x64x8x16xf32>, tensor<1x64x8x16xf32>, tensor<1x64x8x16xf32>, tensor<8xi32>) -> tensor<1x64x8x16xf32>
  return %o : tensor<1x64x8x16xf32>
}

// -----

// Non-causal linear attention: the reassociated form, not the quadratic one.
// FORM-LABEL: func.func @noncausal_linear
// FORM:         attn.linear_attention {{.*}}form = #attn.form<reassociated>
func.func @noncausal_linear(%q: tensor<1x64x2x16xf32>, %cu: tensor<3xi32>) -> tensor<1x64x2x16xf32> {
  %o = attn.linear_attention %q, %q, %q cu_seqlens(%cu) {causal = false} : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<3xi32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}
