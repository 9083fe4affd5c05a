// Packed sequences (cu_seqlens, B = 1) of the linear family against the
// float64 reference run on each sequence separately: random valid offsets
// (attn-run draws them with one length-1 sequence), every form, chunks of 16
// that would straddle sequence boundaries in the packed T axis, Hq = Hkv and
// Hq = 8 Hkv, per-sequence initial and final states, f32 and bf16, and the
// decode shape T = N (one step of every sequence).
// RUN: attn-run %s --all --check | FileCheck %s
// RUN: attn-run %s --all --check --form=chunkwise --chunk-size=16 | FileCheck %s
// RUN: attn-run %s --all --check --form=quadratic | FileCheck %s
// RUN: attn-run %s --all --check --form=recurrent | FileCheck %s
// RUN: attn-run %s --all --check --form=reference | FileCheck %s
// RUN: attn-run %s --all --check --seed=7 --gate=strong --form=chunkwise --chunk-size=8 | FileCheck %s
// RUN: attn-run %s --all --check --pipeline="attn-to-llvm{results-to-out-params=true}" | FileCheck %s
// CHECK-NOT: FAIL
// CHECK: @linear_gqa8 result #0 {{.*}} ok
// CHECK: @linear_gqa8 result #1 {{.*}} ok
// CHECK: @gated_scalar result #1 {{.*}} ok
// CHECK: @gated_vector_gqa result #1 {{.*}} ok
// CHECK: @delta result #1 {{.*}} ok
// CHECK: @gated_delta_gqa8 result #1 {{.*}} ok
// CHECK: @delta_bf16 result #0 {{.*}} ok
// CHECK: @decode_step result #1 {{.*}} ok

// Offsets given as .npy: a chunk of 16 spans the sequences [0, 10), [10, 11)
// (length 1) and [11, 30); the last one is 70 long.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/make_npy.py %t/q.npy 1,100,8,16 uniform:-1:1:1
// RUN: %python %S/Inputs/make_npy.py %t/k.npy 1,100,1,16 uniform:-1:1:2
// RUN: %python %S/Inputs/make_npy.py %t/v.npy 1,100,1,8 uniform:-1:1:3
// RUN: %python %S/Inputs/make_npy.py %t/s0.npy 4,8,16,8 uniform:-1:1:4
// RUN: %python %S/Inputs/make_npy.py %t/cu.npy 5 int32:0,10,11,30,100
// RUN: attn-run %s --func=linear_gqa8 --check --form=chunkwise --chunk-size=16 --input=%t/q.npy --input=%t/k.npy --input=%t/v.npy --input=%t/s0.npy --input=%t/cu.npy | FileCheck %s --check-prefix=NPY
// RUN: attn-run %s --func=linear_gqa8 --check --form=recurrent --input=%t/q.npy --input=%t/k.npy --input=%t/v.npy --input=%t/s0.npy --input=%t/cu.npy | FileCheck %s --check-prefix=NPY
// NPY: @linear_gqa8 result #0 {{.*}} ok
// NPY: @linear_gqa8 result #1 {{.*}} ok

func.func @linear_gqa8(%q: tensor<1x100x8x16xf32>, %k: tensor<1x100x1x16xf32>, %v: tensor<1x100x1x8xf32>, %s0: tensor<4x8x16x8xf32>, %cu: tensor<5xi32>) -> (tensor<1x100x8x8xf32>, tensor<4x8x16x8xf32>) {
  %o, %s = attn.linear_attention %q, %k, %v initial_state(%s0) cu_seqlens(%cu) {feature_map = #attn.feature_map<elu_plus_one>, normalize} : (tensor<1x100x8x16xf32>, tensor<1x100x1x16xf32>, tensor<1x100x1x8xf32>, tensor<4x8x16x8xf32>, tensor<5xi32>) -> (tensor<1x100x8x8xf32>, tensor<4x8x16x8xf32>)
  return %o, %s : tensor<1x100x8x8xf32>, tensor<4x8x16x8xf32>
}

func.func @gated_scalar(%q: tensor<1x90x2x16xf32>, %k: tensor<1x90x2x16xf32>, %v: tensor<1x90x2x16xf32>, %g: tensor<1x90x2xf32>, %s0: tensor<6x2x16x16xf32>, %cu: tensor<7xi32>) -> (tensor<1x90x2x16xf32>, tensor<6x2x16x16xf32>) {
  %o, %s = attn.gated_linear_attention %q, %k, %v, %g initial_state(%s0) cu_seqlens(%cu) : (tensor<1x90x2x16xf32>, tensor<1x90x2x16xf32>, tensor<1x90x2x16xf32>, tensor<1x90x2xf32>, tensor<6x2x16x16xf32>, tensor<7xi32>) -> (tensor<1x90x2x16xf32>, tensor<6x2x16x16xf32>)
  return %o, %s : tensor<1x90x2x16xf32>, tensor<6x2x16x16xf32>
}

func.func @gated_vector_gqa(%q: tensor<1x70x4x16xf32>, %k: tensor<1x70x2x16xf32>, %v: tensor<1x70x2x8xf32>, %g: tensor<1x70x4x16xf32>, %cu: tensor<4xi32>) -> (tensor<1x70x4x8xf32>, tensor<3x4x16x8xf32>) {
  %o, %s = attn.gated_linear_attention %q, %k, %v, %g cu_seqlens(%cu) : (tensor<1x70x4x16xf32>, tensor<1x70x2x16xf32>, tensor<1x70x2x8xf32>, tensor<1x70x4x16xf32>, tensor<4xi32>) -> (tensor<1x70x4x8xf32>, tensor<3x4x16x8xf32>)
  return %o, %s : tensor<1x70x4x8xf32>, tensor<3x4x16x8xf32>
}

func.func @delta(%q: tensor<1x80x2x16xf32>, %k: tensor<1x80x2x16xf32>, %v: tensor<1x80x2x16xf32>, %b: tensor<1x80x2xf32>, %s0: tensor<5x2x16x16xf32>, %cu: tensor<6xi32>) -> (tensor<1x80x2x16xf32>, tensor<5x2x16x16xf32>) {
  %o, %s = attn.delta_rule %q, %k, %v, %b initial_state(%s0) cu_seqlens(%cu) : (tensor<1x80x2x16xf32>, tensor<1x80x2x16xf32>, tensor<1x80x2x16xf32>, tensor<1x80x2xf32>, tensor<5x2x16x16xf32>, tensor<6xi32>) -> (tensor<1x80x2x16xf32>, tensor<5x2x16x16xf32>)
  return %o, %s : tensor<1x80x2x16xf32>, tensor<5x2x16x16xf32>
}

func.func @gated_delta_gqa8(%q: tensor<1x64x8x16xf32>, %k: tensor<1x64x1x16xf32>, %v: tensor<1x64x1x8xf32>, %b: tensor<1x64x8xf32>, %g: tensor<1x64x8xf32>, %cu: tensor<4xi32>) -> (tensor<1x64x8x8xf32>, tensor<3x8x16x8xf32>) {
  %o, %s = attn.delta_rule %q, %k, %v, %b gate(%g) cu_seqlens(%cu) : (tensor<1x64x8x16xf32>, tensor<1x64x1x16xf32>, tensor<1x64x1x8xf32>, tensor<1x64x8xf32>, tensor<1x64x8xf32>, tensor<4xi32>) -> (tensor<1x64x8x8xf32>, tensor<3x8x16x8xf32>)
  return %o, %s : tensor<1x64x8x8xf32>, tensor<3x8x16x8xf32>
}

func.func @delta_bf16(%q: tensor<1x60x2x16xbf16>, %k: tensor<1x60x2x16xbf16>, %v: tensor<1x60x2x16xbf16>, %b: tensor<1x60x2xbf16>, %cu: tensor<4xi32>) -> tensor<1x60x2x16xbf16> {
  %o = attn.delta_rule %q, %k, %v, %b cu_seqlens(%cu) : (tensor<1x60x2x16xbf16>, tensor<1x60x2x16xbf16>, tensor<1x60x2x16xbf16>, tensor<1x60x2xbf16>, tensor<4xi32>) -> tensor<1x60x2x16xbf16>
  return %o : tensor<1x60x2x16xbf16>
}

// Batched decode of the linear family as packed sequences: T = N, each
// sequence one step from its own state.
func.func @decode_step(%q: tensor<1x6x4x16xf32>, %k: tensor<1x6x4x16xf32>, %v: tensor<1x6x4x16xf32>, %g: tensor<1x6x4xf32>, %s0: tensor<6x4x16x16xf32>, %cu: tensor<7xi32>) -> (tensor<1x6x4x16xf32>, tensor<6x4x16x16xf32>) {
  %o, %s = attn.gated_linear_attention %q, %k, %v, %g initial_state(%s0) cu_seqlens(%cu) : (tensor<1x6x4x16xf32>, tensor<1x6x4x16xf32>, tensor<1x6x4x16xf32>, tensor<1x6x4xf32>, tensor<6x4x16x16xf32>, tensor<7xi32>) -> (tensor<1x6x4x16xf32>, tensor<6x4x16x16xf32>)
  return %o, %s : tensor<1x6x4x16xf32>, tensor<6x4x16x16xf32>
}
