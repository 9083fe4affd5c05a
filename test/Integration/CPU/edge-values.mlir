// Edge values other than the gates (extreme-decay.mlir has those) through
// every applicable form, against the float64 reference: beta = 0 (the delta
// rule never writes: the state only decays) and beta = 1 (the old value of
// k is replaced), T = 1, a single query over 100 keys, and large scales
// (near-one-hot softmax; linear attention scaled by 1e30, normalized or not).

// RUN: attn-run %s --func=delta --form=recurrent --beta=0 --check | FileCheck %s --check-prefix=DELTA
// RUN: attn-run %s --func=delta --form=quadratic --beta=0 --check | FileCheck %s --check-prefix=DELTA
// RUN: attn-run %s --func=delta --form=chunkwise --chunk-size=16 --beta=0 --check | FileCheck %s --check-prefix=DELTA
// RUN: attn-run %s --func=delta --form=recurrent --beta=1 --check | FileCheck %s --check-prefix=DELTA
// RUN: attn-run %s --func=delta --form=quadratic --beta=1 --check | FileCheck %s --check-prefix=DELTA
// RUN: attn-run %s --func=delta --form=chunkwise --chunk-size=16 --beta=1 --check | FileCheck %s --check-prefix=DELTA
// RUN: attn-run %s --func=gated_delta --form=chunkwise --chunk-size=16 --beta=1 --gate=-inf --check | FileCheck %s --check-prefix=GDELTA
// RUN: attn-run %s --func=gated_delta --form=quadratic --beta=0 --gate=weak --check | FileCheck %s --check-prefix=GDELTA
// RUN: attn-run %s --func=delta_t1 --form=recurrent --beta=1 --check | FileCheck %s --check-prefix=T1
// RUN: attn-run %s --func=delta_t1 --form=chunkwise --chunk-size=64 --beta=0 --check | FileCheck %s --check-prefix=T1
// DELTA-NOT: FAIL
// DELTA: @delta result #0 'o' {{.*}} ok
// DELTA: @delta result #1 'final_state' {{.*}} ok
// GDELTA-NOT: FAIL
// GDELTA: @gated_delta result #0 'o' {{.*}} ok
// GDELTA: @gated_delta result #1 'final_state' {{.*}} ok
// T1-NOT: FAIL
// T1: @delta_t1 result #0 'o' {{.*}} ok
// T1: @delta_t1 result #1 'final_state' {{.*}} ok

// Softmax: the exact reference, the quadratic and the tiled form.
// RUN: attn-run %s --func=softmax_scale --form=reference --check | FileCheck %s --check-prefix=SOFTMAX
// RUN: attn-run %s --func=softmax_scale --form=quadratic --check | FileCheck %s --check-prefix=SOFTMAX
// RUN: attn-run %s --func=softmax_scale --form=chunkwise --chunk-size=16 --check | FileCheck %s --check-prefix=SOFTMAX
// RUN: attn-run %s --func=softmax_scale_full --form=chunkwise --chunk-size=16 --check | FileCheck %s --check-prefix=SOFTMAX
// RUN: attn-run %s --func=softmax_t1 --form=quadratic --check | FileCheck %s --check-prefix=SOFTMAX
// RUN: attn-run %s --func=softmax_t1 --form=chunkwise --chunk-size=16 --check | FileCheck %s --check-prefix=SOFTMAX
// RUN: attn-run %s --func=softmax_decode --form=quadratic --check | FileCheck %s --check-prefix=SOFTMAX
// RUN: attn-run %s --func=softmax_decode --form=chunkwise --chunk-size=16 --check | FileCheck %s --check-prefix=SOFTMAX
// SOFTMAX-NOT: FAIL
// SOFTMAX: result #0 'o' {{.*}} ok

// Linear attention with a large scale, every form.
// RUN: attn-run %s --func=linear_norm_scale --form=recurrent --check | FileCheck %s --check-prefix=LINEAR
// RUN: attn-run %s --func=linear_norm_scale --form=quadratic --check | FileCheck %s --check-prefix=LINEAR
// RUN: attn-run %s --func=linear_norm_scale --form=chunkwise --chunk-size=16 --check | FileCheck %s --check-prefix=LINEAR
// RUN: attn-run %s --func=linear_scale --form=chunkwise --chunk-size=16 --check | FileCheck %s --check-prefix=LINEAR
// RUN: attn-run %s --func=linear_t1 --form=quadratic --check | FileCheck %s --check-prefix=LINEAR
// RUN: attn-run %s --func=linear_t1 --form=reassociated --check | FileCheck %s --check-prefix=LINEAR
// LINEAR-NOT: FAIL
// LINEAR: result #0 'o' {{.*}} ok

func.func @delta(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>, %v: tensor<1x64x2x16xf32>, %beta: tensor<1x64x2xf32>, %s0: tensor<1x2x16x16xf32>) -> (tensor<1x64x2x16xf32>, tensor<1x2x16x16xf32>) {
  %o, %s = attn.delta_rule %q, %k, %v, %beta initial_state(%s0) : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2xf32>, tensor<1x2x16x16xf32>) -> (tensor<1x64x2x16xf32>, tensor<1x2x16x16xf32>)
  return %o, %s : tensor<1x64x2x16xf32>, tensor<1x2x16x16xf32>
}

func.func @gated_delta(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>, %v: tensor<1x64x2x16xf32>, %beta: tensor<1x64x2xf32>, %g: tensor<1x64x2xf32>, %s0: tensor<1x2x16x16xf32>) -> (tensor<1x64x2x16xf32>, tensor<1x2x16x16xf32>) {
  %o, %s = attn.delta_rule %q, %k, %v, %beta gate(%g) initial_state(%s0) : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2xf32>, tensor<1x64x2xf32>, tensor<1x2x16x16xf32>) -> (tensor<1x64x2x16xf32>, tensor<1x2x16x16xf32>)
  return %o, %s : tensor<1x64x2x16xf32>, tensor<1x2x16x16xf32>
}

func.func @delta_t1(%q: tensor<2x1x2x16xf32>, %k: tensor<2x1x2x16xf32>, %v: tensor<2x1x2x16xf32>, %beta: tensor<2x1x2xf32>, %s0: tensor<2x2x16x16xf32>) -> (tensor<2x1x2x16xf32>, tensor<2x2x16x16xf32>) {
  %o, %s = attn.delta_rule %q, %k, %v, %beta initial_state(%s0) : (tensor<2x1x2x16xf32>, tensor<2x1x2x16xf32>, tensor<2x1x2x16xf32>, tensor<2x1x2xf32>, tensor<2x2x16x16xf32>) -> (tensor<2x1x2x16xf32>, tensor<2x2x16x16xf32>)
  return %o, %s : tensor<2x1x2x16xf32>, tensor<2x2x16x16xf32>
}

func.func @softmax_scale(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>, %v: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  %o = attn.softmax_attention %q, %k, %v {scale = 100.0} : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

func.func @softmax_scale_full(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>, %v: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  %o = attn.softmax_attention %q, %k, %v {causal = false, scale = 100.0} : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

func.func @softmax_t1(%q: tensor<2x1x2x16xf32>, %k: tensor<2x1x2x16xf32>, %v: tensor<2x1x2x16xf32>) -> tensor<2x1x2x16xf32> {
  %o = attn.softmax_attention %q, %k, %v : (tensor<2x1x2x16xf32>, tensor<2x1x2x16xf32>, tensor<2x1x2x16xf32>) -> tensor<2x1x2x16xf32>
  return %o : tensor<2x1x2x16xf32>
}

func.func @softmax_decode(%q: tensor<1x1x2x16xf32>, %k: tensor<1x100x2x16xf32>, %v: tensor<1x100x2x16xf32>) -> tensor<1x1x2x16xf32> {
  %o = attn.softmax_attention %q, %k, %v {scale = 1000.0} : (tensor<1x1x2x16xf32>, tensor<1x100x2x16xf32>, tensor<1x100x2x16xf32>) -> tensor<1x1x2x16xf32>
  return %o : tensor<1x1x2x16xf32>
}

func.func @linear_norm_scale(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>, %v: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  %o = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<elu_plus_one>, normalize, scale = 1.0e30} : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

func.func @linear_scale(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>, %v: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  %o = attn.linear_attention %q, %k, %v {scale = 1.0e30} : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

func.func @linear_t1(%q: tensor<1x1x2x16xf32>, %k: tensor<1x1x2x16xf32>, %v: tensor<1x1x2x16xf32>) -> tensor<1x1x2x16xf32> {
  %o = attn.linear_attention %q, %k, %v {causal = false, normalize, feature_map = #attn.feature_map<relu>} : (tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>) -> tensor<1x1x2x16xf32>
  return %o : tensor<1x1x2x16xf32>
}
