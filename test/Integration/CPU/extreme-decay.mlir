// Extreme log-decays through every form of every gated op, against the
// float64 reference: g = -inf (exp(g) = 0: the state is forgotten at every
// step), g = -1e4, and strong decays (-inf, -1e4) among weak ones. The
// chunkwise and quadratic forms compute decays from in-chunk cumulative sums;
// they clamp log-decays at -110 (where exp underflows to 0 in f32), without
// which g = -inf gave NaN (-inf - -inf) and g = -1e4 among weak gates lost
// 1e-3 of accuracy to the f32 spacing of the sums.

// RUN: attn-run %s --all --form=recurrent --gate=-inf --check | FileCheck %s
// RUN: attn-run %s --all --form=quadratic --gate=-inf --check | FileCheck %s
// RUN: attn-run %s --all --form=chunkwise --chunk-size=16 --gate=-inf --check | FileCheck %s
// RUN: attn-run %s --all --form=recurrent --gate=-1e4 --check | FileCheck %s
// RUN: attn-run %s --all --form=quadratic --gate=-1e4 --check | FileCheck %s
// RUN: attn-run %s --all --form=chunkwise --chunk-size=16 --gate=-1e4 --check | FileCheck %s
// RUN: attn-run %s --all --form=chunkwise --chunk-size=32 --gate=strong --check | FileCheck %s

// CHECK-NOT: FAIL
// CHECK: @gated_scalar result #0 'o' {{.*}} ok
// CHECK: @gated_scalar result #1 'final_state' {{.*}} ok
// CHECK: @gated_vector result #0 'o' {{.*}} ok
// CHECK: @gated_vector result #1 'final_state' {{.*}} ok
// CHECK: @gated_delta result #0 'o' {{.*}} ok
// CHECK: @gated_delta result #1 'final_state' {{.*}} ok
// CHECK: @gated_bf16_t1 result #0 'o' {{.*}} ok
// CHECK: @gated_bf16_t1 result #1 'final_state' {{.*}} ok
// CHECK: @gated_delta_t1 result #0 'o' {{.*}} ok
// CHECK: @gated_delta_t1 result #1 'final_state' {{.*}} ok

// Strong decays among weak ones (.npy inputs; every 5th step is -inf or -1e4, the others in [-0.1, 0]).
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/make_npy.py %t/q.npy 1,64,2,16 uniform:-1:1:1
// RUN: %python %S/Inputs/make_npy.py %t/k.npy 1,64,2,16 uniform:-1:1:2
// RUN: %python %S/Inputs/make_npy.py %t/kn.npy 1,64,2,16 unit:2
// RUN: %python %S/Inputs/make_npy.py %t/v.npy 1,64,2,16 uniform:-1:1:3
// RUN: %python %S/Inputs/make_npy.py %t/s0.npy 1,2,16,16 uniform:-1:1:4
// RUN: %python %S/Inputs/make_npy.py %t/v8.npy 1,64,2,8 uniform:-1:1:8
// RUN: %python %S/Inputs/make_npy.py %t/s08.npy 1,2,16,8 uniform:-1:1:9
// RUN: %python %S/Inputs/make_npy.py %t/beta.npy 1,64,2 uniform:0:1:5
// RUN: %python %S/Inputs/make_npy.py %t/ginf.npy 1,64,2 spiky:-inf:5:-0.1:0:6
// RUN: %python %S/Inputs/make_npy.py %t/g1e4.npy 1,64,2 spiky:-1e4:5:-0.1:0:6
// RUN: %python %S/Inputs/make_npy.py %t/gvec.npy 1,64,2,16 spiky:-inf:5:-0.1:0:7
// RUN: attn-run %s --func=gated_scalar --form=recurrent --chunk-size=16 --check --input=%t/q.npy --input=%t/k.npy --input=%t/v.npy --input=%t/ginf.npy --input=%t/s0.npy | FileCheck %s --check-prefix=SPIKY
// RUN: attn-run %s --func=gated_scalar --form=recurrent --chunk-size=32 --check --input=%t/q.npy --input=%t/k.npy --input=%t/v.npy --input=%t/g1e4.npy --input=%t/s0.npy | FileCheck %s --check-prefix=SPIKY
// RUN: attn-run %s --func=gated_vector --form=recurrent --chunk-size=16 --check --input=%t/q.npy --input=%t/k.npy --input=%t/v8.npy --input=%t/gvec.npy --input=%t/s08.npy | FileCheck %s --check-prefix=SPIKY
// RUN: attn-run %s --func=gated_delta --form=recurrent --chunk-size=16 --check --input=%t/q.npy --input=%t/kn.npy --input=%t/v.npy --input=%t/beta.npy --input=%t/ginf.npy --input=%t/s0.npy | FileCheck %s --check-prefix=SPIKY
// RUN: attn-run %s --func=gated_scalar --form=quadratic --chunk-size=16 --check --input=%t/q.npy --input=%t/k.npy --input=%t/v.npy --input=%t/ginf.npy --input=%t/s0.npy | FileCheck %s --check-prefix=SPIKY
// RUN: attn-run %s --func=gated_scalar --form=quadratic --chunk-size=32 --check --input=%t/q.npy --input=%t/k.npy --input=%t/v.npy --input=%t/g1e4.npy --input=%t/s0.npy | FileCheck %s --check-prefix=SPIKY
// RUN: attn-run %s --func=gated_vector --form=quadratic --chunk-size=16 --check --input=%t/q.npy --input=%t/k.npy --input=%t/v8.npy --input=%t/gvec.npy --input=%t/s08.npy | FileCheck %s --check-prefix=SPIKY
// RUN: attn-run %s --func=gated_delta --form=quadratic --chunk-size=16 --check --input=%t/q.npy --input=%t/kn.npy --input=%t/v.npy --input=%t/beta.npy --input=%t/ginf.npy --input=%t/s0.npy | FileCheck %s --check-prefix=SPIKY
// RUN: attn-run %s --func=gated_scalar --form=chunkwise --chunk-size=16 --check --input=%t/q.npy --input=%t/k.npy --input=%t/v.npy --input=%t/ginf.npy --input=%t/s0.npy | FileCheck %s --check-prefix=SPIKY
// RUN: attn-run %s --func=gated_scalar --form=chunkwise --chunk-size=32 --check --input=%t/q.npy --input=%t/k.npy --input=%t/v.npy --input=%t/g1e4.npy --input=%t/s0.npy | FileCheck %s --check-prefix=SPIKY
// RUN: attn-run %s --func=gated_vector --form=chunkwise --chunk-size=16 --check --input=%t/q.npy --input=%t/k.npy --input=%t/v8.npy --input=%t/gvec.npy --input=%t/s08.npy | FileCheck %s --check-prefix=SPIKY
// RUN: attn-run %s --func=gated_delta --form=chunkwise --chunk-size=16 --check --input=%t/q.npy --input=%t/kn.npy --input=%t/v.npy --input=%t/beta.npy --input=%t/ginf.npy --input=%t/s0.npy | FileCheck %s --check-prefix=SPIKY
// SPIKY-NOT: FAIL
// SPIKY: result #0 'o' {{.*}} ok
// SPIKY: result #1 'final_state' {{.*}} ok

func.func @gated_scalar(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>, %v: tensor<1x64x2x16xf32>, %g: tensor<1x64x2xf32>, %s0: tensor<1x2x16x16xf32>) -> (tensor<1x64x2x16xf32>, tensor<1x2x16x16xf32>) {
  %o, %s = attn.gated_linear_attention %q, %k, %v, %g initial_state(%s0) : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2xf32>, tensor<1x2x16x16xf32>) -> (tensor<1x64x2x16xf32>, tensor<1x2x16x16xf32>)
  return %o, %s : tensor<1x64x2x16xf32>, tensor<1x2x16x16xf32>
}

func.func @gated_vector(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>, %v: tensor<1x64x2x8xf32>, %g: tensor<1x64x2x16xf32>, %s0: tensor<1x2x16x8xf32>) -> (tensor<1x64x2x8xf32>, tensor<1x2x16x8xf32>) {
  %o, %s = attn.gated_linear_attention %q, %k, %v, %g initial_state(%s0) : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x8xf32>, tensor<1x64x2x16xf32>, tensor<1x2x16x8xf32>) -> (tensor<1x64x2x8xf32>, tensor<1x2x16x8xf32>)
  return %o, %s : tensor<1x64x2x8xf32>, tensor<1x2x16x8xf32>
}

func.func @gated_delta(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>, %v: tensor<1x64x2x16xf32>, %beta: tensor<1x64x2xf32>, %g: tensor<1x64x2xf32>, %s0: tensor<1x2x16x16xf32>) -> (tensor<1x64x2x16xf32>, tensor<1x2x16x16xf32>) {
  %o, %s = attn.delta_rule %q, %k, %v, %beta gate(%g) initial_state(%s0) : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2xf32>, tensor<1x64x2xf32>, tensor<1x2x16x16xf32>) -> (tensor<1x64x2x16xf32>, tensor<1x2x16x16xf32>)
  return %o, %s : tensor<1x64x2x16xf32>, tensor<1x2x16x16xf32>
}

func.func @gated_bf16_t1(%q: tensor<2x1x2x16xbf16>, %k: tensor<2x1x2x16xbf16>, %v: tensor<2x1x2x16xbf16>, %g: tensor<2x1x2xf32>, %s0: tensor<2x2x16x16xf32>) -> (tensor<2x1x2x16xbf16>, tensor<2x2x16x16xf32>) {
  %o, %s = attn.gated_linear_attention %q, %k, %v, %g initial_state(%s0) : (tensor<2x1x2x16xbf16>, tensor<2x1x2x16xbf16>, tensor<2x1x2x16xbf16>, tensor<2x1x2xf32>, tensor<2x2x16x16xf32>) -> (tensor<2x1x2x16xbf16>, tensor<2x2x16x16xf32>)
  return %o, %s : tensor<2x1x2x16xbf16>, tensor<2x2x16x16xf32>
}

func.func @gated_delta_t1(%q: tensor<2x1x2x16xf32>, %k: tensor<2x1x2x16xf32>, %v: tensor<2x1x2x16xf32>, %beta: tensor<2x1x2xf32>, %g: tensor<2x1x2xf32>, %s0: tensor<2x2x16x16xf32>) -> (tensor<2x1x2x16xf32>, tensor<2x2x16x16xf32>) {
  %o, %s = attn.delta_rule %q, %k, %v, %beta gate(%g) initial_state(%s0) : (tensor<2x1x2x16xf32>, tensor<2x1x2x16xf32>, tensor<2x1x2x16xf32>, tensor<2x1x2xf32>, tensor<2x1x2xf32>, tensor<2x2x16x16xf32>) -> (tensor<2x1x2x16xf32>, tensor<2x2x16x16xf32>)
  return %o, %s : tensor<2x1x2x16xf32>, tensor<2x2x16x16xf32>
}
