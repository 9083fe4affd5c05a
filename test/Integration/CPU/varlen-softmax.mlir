// Packed sequences (cu_seqlens) of softmax attention against the float64
// reference run on each sequence separately: causal (each sequence's own
// diagonal), non-causal (all of its own keys, none of another sequence),
// sliding windows smaller and larger than T, Hq = Hkv and Hq = 8 Hkv, bf16;
// in the tiled (FlashAttention) form with blocks that straddle sequence
// boundaries in the packed layout, the quadratic form and the reference.
// RUN: attn-run %s --all --check | FileCheck %s
// RUN: attn-run %s --all --check --form=chunkwise --chunk-size=16 | FileCheck %s
// RUN: attn-run %s --all --check --form=quadratic | FileCheck %s
// RUN: attn-run %s --all --check --form=reference --seed=3 | FileCheck %s
// RUN: attn-run %s --all --check --pipeline="attn-to-llvm{results-to-out-params=true}" | FileCheck %s
// CHECK-NOT: FAIL
// CHECK: @causal_gqa8 result #0 {{.*}} ok
// CHECK: @noncausal result #0 {{.*}} ok
// CHECK: @window result #0 {{.*}} ok
// CHECK: @window_wider_than_t result #0 {{.*}} ok
// CHECK: @bf16_gqa2 result #0 {{.*}} ok

// A sequence of length 1 sees only itself; a block of 16 spans three
// sequences.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/make_npy.py %t/q.npy 1,100,8,16 uniform:-1:1:1
// RUN: %python %S/Inputs/make_npy.py %t/k.npy 1,100,1,16 uniform:-1:1:2
// RUN: %python %S/Inputs/make_npy.py %t/v.npy 1,100,1,8 uniform:-1:1:3
// RUN: %python %S/Inputs/make_npy.py %t/cu.npy 6 int32:0,10,11,30,31,100
// RUN: attn-run %s --func=causal_gqa8 --check --form=chunkwise --chunk-size=16 --input=%t/q.npy --input=%t/k.npy --input=%t/v.npy --input=%t/cu.npy | FileCheck %s --check-prefix=NPY
// NPY: @causal_gqa8 result #0 {{.*}} ok

func.func @causal_gqa8(%q: tensor<1x100x8x16xf32>, %k: tensor<1x100x1x16xf32>, %v: tensor<1x100x1x8xf32>, %cu: tensor<6xi32>) -> tensor<1x100x8x8xf32> {
  %o = attn.softmax_attention %q, %k, %v cu_seqlens(%cu) : (tensor<1x100x8x16xf32>, tensor<1x100x1x16xf32>, tensor<1x100x1x8xf32>, tensor<6xi32>) -> tensor<1x100x8x8xf32>
  return %o : tensor<1x100x8x8xf32>
}

func.func @noncausal(%q: tensor<1x90x2x16xf32>, %k: tensor<1x90x2x16xf32>, %v: tensor<1x90x2x16xf32>, %cu: tensor<5xi32>) -> tensor<1x90x2x16xf32> {
  %o = attn.softmax_attention %q, %k, %v cu_seqlens(%cu) {causal = false} : (tensor<1x90x2x16xf32>, tensor<1x90x2x16xf32>, tensor<1x90x2x16xf32>, tensor<5xi32>) -> tensor<1x90x2x16xf32>
  return %o : tensor<1x90x2x16xf32>
}

func.func @window(%q: tensor<1x120x4x16xf32>, %k: tensor<1x120x4x16xf32>, %v: tensor<1x120x4x16xf32>, %cu: tensor<4xi32>) -> tensor<1x120x4x16xf32> {
  %o = attn.softmax_attention %q, %k, %v cu_seqlens(%cu) {window = 9} : (tensor<1x120x4x16xf32>, tensor<1x120x4x16xf32>, tensor<1x120x4x16xf32>, tensor<4xi32>) -> tensor<1x120x4x16xf32>
  return %o : tensor<1x120x4x16xf32>
}

func.func @window_wider_than_t(%q: tensor<1x50x2x16xf32>, %k: tensor<1x50x2x16xf32>, %v: tensor<1x50x2x16xf32>, %cu: tensor<4xi32>) -> tensor<1x50x2x16xf32> {
  %o = attn.softmax_attention %q, %k, %v cu_seqlens(%cu) {window = 1000} : (tensor<1x50x2x16xf32>, tensor<1x50x2x16xf32>, tensor<1x50x2x16xf32>, tensor<4xi32>) -> tensor<1x50x2x16xf32>
  return %o : tensor<1x50x2x16xf32>
}

func.func @bf16_gqa2(%q: tensor<1x64x4x32xbf16>, %k: tensor<1x64x2x32xbf16>, %v: tensor<1x64x2x16xbf16>, %cu: tensor<3xi32>) -> tensor<1x64x4x16xbf16> {
  %o = attn.softmax_attention %q, %k, %v cu_seqlens(%cu) : (tensor<1x64x4x32xbf16>, tensor<1x64x2x32xbf16>, tensor<1x64x2x16xbf16>, tensor<3xi32>) -> tensor<1x64x4x16xbf16>
  return %o : tensor<1x64x4x16xbf16>
}
