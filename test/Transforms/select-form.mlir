// RUN: attn-opt %s -split-input-file --attn-select-form | FileCheck %s
// RUN: attn-opt %s -split-input-file --attn-select-form="target=sm_90" | FileCheck %s --check-prefix=GPU
// RUN: attn-opt %s -split-input-file --attn-select-form="form=quadratic" | FileCheck %s --check-prefix=FORCED

// Decode (T = 1): the recurrent form, one step of the state update.
// CHECK-LABEL: func.func @decode
// CHECK: attn.linear_attention {{.*}}form = #attn.form<recurrent>
// GPU-LABEL: func.func @decode
// GPU: form = #attn.form<recurrent>
// FORCED-LABEL: func.func @decode
// FORCED: form = #attn.form<quadratic>
func.func @decode(%q: tensor<1x1x8x64xf32>, %k: tensor<1x1x8x64xf32>, %v: tensor<1x1x8x64xf32>, %s0: tensor<1x8x64x64xf32>) -> (tensor<1x1x8x64xf32>, tensor<1x8x64x64xf32>) {
  %o, %s = attn.linear_attention %q, %k, %v initial_state(%s0) : (tensor<1x1x8x64xf32>, tensor<1x1x8x64xf32>, tensor<1x1x8x64xf32>, tensor<1x8x64x64xf32>) -> (tensor<1x1x8x64xf32>, tensor<1x8x64x64xf32>)
  return %o, %s : tensor<1x1x8x64xf32>, tensor<1x8x64x64xf32>
}

// -----

// Short T: the quadratic form in one piece.
// CHECK-LABEL: func.func @short
// CHECK: form = #attn.form<quadratic>
func.func @short(%q: tensor<1x32x8x64xf32>, %k: tensor<1x32x8x64xf32>, %v: tensor<1x32x8x64xf32>) -> tensor<1x32x8x64xf32> {
  %o = attn.linear_attention %q, %k, %v : (tensor<1x32x8x64xf32>, tensor<1x32x8x64xf32>, tensor<1x32x8x64xf32>) -> tensor<1x32x8x64xf32>
  return %o : tensor<1x32x8x64xf32>
}

// -----

// Long causal T: chunkwise, for every member of the linear family.
// CHECK-LABEL: func.func @long
// CHECK: attn.linear_attention {{.*}}form = #attn.form<chunkwise>
// CHECK: attn.gated_linear_attention {{.*}}form = #attn.form<chunkwise>
// CHECK: attn.delta_rule {{.*}}form = #attn.form<chunkwise>
// GPU-LABEL: func.func @long
// GPU-COUNT-3: form = #attn.form<chunkwise>
func.func @long(%q: tensor<1x4096x8x64xf32>, %k: tensor<1x4096x8x64xf32>, %v: tensor<1x4096x8x64xf32>, %g: tensor<1x4096x8x64xf32>, %b: tensor<1x4096x8xf32>) -> (tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>) {
  %o1 = attn.linear_attention %q, %k, %v : (tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>) -> tensor<1x4096x8x64xf32>
  %o2 = attn.gated_linear_attention %q, %k, %v, %g : (tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>) -> tensor<1x4096x8x64xf32>
  %o3 = attn.delta_rule %q, %k, %v, %b : (tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>, tensor<1x4096x8xf32>) -> tensor<1x4096x8x64xf32>
  return %o1, %o2, %o3 : tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>
}

// -----

// Non-causal linear attention: phi(Q) (phi(K)^T V), O(T D^2) not O(T^2 D).
// CHECK-LABEL: func.func @noncausal
// CHECK: form = #attn.form<reassociated>
func.func @noncausal(%q: tensor<1x1024x8x64xf32>, %k: tensor<1x1024x8x64xf32>, %v: tensor<1x1024x8x64xf32>) -> tensor<1x1024x8x64xf32> {
  %o = attn.linear_attention %q, %k, %v {causal = false} : (tensor<1x1024x8x64xf32>, tensor<1x1024x8x64xf32>, tensor<1x1024x8x64xf32>) -> tensor<1x1024x8x64xf32>
  return %o : tensor<1x1024x8x64xf32>
}

// -----

// Long softmax attention: the tiled online-softmax form.
// CHECK-LABEL: func.func @softmax_long
// CHECK: form = #attn.form<chunkwise>
// GPU-LABEL: func.func @softmax_long
// GPU: form = #attn.form<chunkwise>
func.func @softmax_long(%q: tensor<1x4096x8x64xf32>, %k: tensor<1x4096x8x64xf32>, %v: tensor<1x4096x8x64xf32>) -> tensor<1x4096x8x64xf32> {
  %o = attn.softmax_attention %q, %k, %v : (tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>) -> tensor<1x4096x8x64xf32>
  return %o : tensor<1x4096x8x64xf32>
}

// -----

// A form the user set is kept, whatever the cost model or the option says.
// CHECK-LABEL: func.func @user_form
// CHECK: form = #attn.form<recurrent>
// FORCED-LABEL: func.func @user_form
// FORCED: form = #attn.form<recurrent>
func.func @user_form(%q: tensor<1x4096x8x64xf32>, %k: tensor<1x4096x8x64xf32>, %v: tensor<1x4096x8x64xf32>) -> tensor<1x4096x8x64xf32> {
  %o = attn.linear_attention %q, %k, %v {form = #attn.form<recurrent>} : (tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>) -> tensor<1x4096x8x64xf32>
  return %o : tensor<1x4096x8x64xf32>
}
