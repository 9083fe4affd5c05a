// The softmax kernel's variants compile to PTX that ptxas accepts for
// sm_90a and sm_80: 32-row warps of mma.sync with cp.async double buffering
// for bf16; synchronous loads for f16/f32; 16-row warps for decode and
// D = 256; with --wgmma on sm_90 (bf16, head dim 128), warpgroup MMA (K and
// V by cp.async in core-matrix tiles, 128-row blocks of two warpgroups).
// bench/gpu/gen_kernels.py
// adds them (the wgmma ones as wg_*) to the GPU check set.
// RUN: rm -rf %t
// RUN: attn-gpu-compile %s --target=sm_90 -o %t/sm90 | FileCheck %s
// RUN: attn-gpu-compile %s --target=sm_80 -o %t/sm80
// RUN: attn-gpu-compile %s --target=sm_90 --wgmma -o %t/sm90wg
// RUN: FileCheck %s --check-prefix=WGMMA < %t/sm90wg/sm_gqa_long.ptx
// RUN: FileCheck %s --check-prefix=WGMMAPV < %t/sm90wg/sm_gqa_long.ptx
// RUN: FileCheck %s --check-prefix=WGMMAS < %t/sm90wg/sm_gqa_long.ptx
// RUN: FileCheck %s --check-prefix=ASYNC < %t/sm80/sm_gqa_long.ptx
// RUN: FileCheck %s --check-prefix=ASYNC < %t/sm90/sm_gqa_long.ptx
// RUN: FileCheck %s --check-prefix=D256 < %t/sm90wg/sm_d64_tail.ptx
// RUN: FileCheck %s --check-prefix=SYNC < %t/sm90wg/sm_f32.ptx
// RUN: FileCheck %s --check-prefix=D256 < %t/sm90wg/sm_d256_decode.ptx
// RUN: FileCheck %s --check-prefix=JSON < %t/sm90wg/sm_gqa_long.json
// RUN: FileCheck %s --check-prefix=JSON80 < %t/sm90/sm_gqa_long.json
// RUN: %if ptxas %{ %python %S/assemble.py %ptxas sm_90a %t/sm90 %}
// RUN: %if ptxas %{ %python %S/assemble.py %ptxas sm_90a %t/sm90wg %}
// RUN: %if ptxas %{ %python %S/assemble.py %ptxas sm_80 %t/sm80 %}

// CHECK-COUNT-10: {{.*}}.ptx, {{.*}}.json

// S = Q K^T over D = 128 (8 k16 steps of n64) and O += P V (4 of n128, V
// read N-major). The first block's S is waited for before the walk; in the
// walk, S of block n and P V of block n - 1 are issued as two commit groups,
// S waited for with P V still in flight (wait_group 1) while the softmax
// runs, then P V (wait_group 0); the last block's P V after the walk.
// WGMMA: .visible .entry sm_gqa_long_kernel(
// WGMMA-DAG: cp.async.cg.shared.global [{{.*}}], [{{.*}}], 16, {{%r[0-9]+}};
// WGMMA-DAG: fence.proxy.async.shared::cta;
// WGMMA-NOT: mma.sync
// WGMMAPV: wgmma.fence.sync.aligned;
// WGMMAPV-COUNT-4: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{.*}}, one, 1, 1, 1;
// WGMMAPV-NEXT: wgmma.commit_group.sync.aligned;
// WGMMAPV: wgmma.wait_group.sync.aligned 1;
// WGMMAPV: ex2.approx.ftz.f32
// WGMMAPV: wgmma.wait_group.sync.aligned 0;
// WGMMAPV: wgmma.fence.sync.aligned;
// WGMMAPV-COUNT-4: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{.*}}, one, 1, 1, 1;
// WGMMAPV-NEXT: wgmma.commit_group.sync.aligned;
// WGMMAPV: wgmma.wait_group.sync.aligned 0;
// WGMMAPV-NOT: wgmma.mma_async
// WGMMAS: wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {{.*}}, zero, 1, 1, 0;
// WGMMAS-COUNT-7: wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {{.*}}, one, 1, 1, 0;
// WGMMAS-NEXT: wgmma.commit_group.sync.aligned;

// ASYNC: .visible .entry sm_gqa_long_kernel(
// ASYNC-NOT: wgmma
// ASYNC-DAG: cp.async.cg.shared.global [{{.*}}], [{{.*}}], 16, {{%r[0-9]+}};
// ASYNC-DAG: cp.async.commit_group;
// ASYNC-DAG: cp.async.wait_group 0;
// ASYNC-DAG: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32

// SYNC: .visible .entry
// SYNC-NOT: cp.async
// SYNC-NOT: wgmma
// SYNC: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32

// D256-NOT: wgmma
// D256: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32

// wgmma: 128-row query blocks of two warpgroups (256 threads), 1030
// queries, 9 blocks; mma.sync: 128-row blocks of 4 warps, 9 blocks. (Head dim 64 stays on
// mma.sync: its wgmma kernels gave wrong results on an H100.)
// JSON:      "block": [
// JSON-NEXT:   256,
// JSON:      "grid": [
// JSON-NEXT:   9,
// JSON-NEXT:   4,
// JSON:      "op": "softmax_attention"
// JSON80:      "block": [
// JSON80-NEXT:   128,
// JSON80:      "grid": [
// JSON80-NEXT:   9,

// cp.async path, D=64, T not a multiple of the 128-row block or the 64-key block
func.func @sm_d64_tail(%q: tensor<2x1000x2x64xbf16>, %k: tensor<2x1000x2x64xbf16>, %v: tensor<2x1000x2x64xbf16>) -> tensor<2x1000x2x64xbf16> {
  %r0 = attn.softmax_attention %q, %k, %v : (tensor<2x1000x2x64xbf16>, tensor<2x1000x2x64xbf16>, tensor<2x1000x2x64xbf16>) -> tensor<2x1000x2x64xbf16>
  return %r0 : tensor<2x1000x2x64xbf16>
}

// cp.async path, D=128, GQA, many key blocks
func.func @sm_gqa_long(%q: tensor<1x1030x4x128xbf16>, %k: tensor<1x1030x2x128xbf16>, %v: tensor<1x1030x2x128xbf16>) -> tensor<1x1030x4x128xbf16> {
  %r0 = attn.softmax_attention %q, %k, %v : (tensor<1x1030x4x128xbf16>, tensor<1x1030x2x128xbf16>, tensor<1x1030x2x128xbf16>) -> tensor<1x1030x4x128xbf16>
  return %r0 : tensor<1x1030x4x128xbf16>
}

// cp.async path, sliding window (first key block > 0)
func.func @sm_window(%q: tensor<1x600x2x128xbf16>, %k: tensor<1x600x2x128xbf16>, %v: tensor<1x600x2x128xbf16>) -> tensor<1x600x2x128xbf16> {
  %r0 = attn.softmax_attention %q, %k, %v {window = 200} : (tensor<1x600x2x128xbf16>, tensor<1x600x2x128xbf16>, tensor<1x600x2x128xbf16>) -> tensor<1x600x2x128xbf16>
  return %r0 : tensor<1x600x2x128xbf16>
}

// Tq < Tk with 32-row warps: queries are the last 130 positions
func.func @sm_prefill_tail(%q: tensor<1x130x2x128xbf16>, %k: tensor<1x700x2x128xbf16>, %v: tensor<1x700x2x128xbf16>) -> tensor<1x130x2x128xbf16> {
  %r0 = attn.softmax_attention %q, %k, %v : (tensor<1x130x2x128xbf16>, tensor<1x700x2x128xbf16>, tensor<1x700x2x128xbf16>) -> tensor<1x130x2x128xbf16>
  return %r0 : tensor<1x130x2x128xbf16>
}

// T = 1
func.func @sm_t1(%q: tensor<2x1x2x128xbf16>, %k: tensor<2x1x2x128xbf16>, %v: tensor<2x1x2x128xbf16>) -> tensor<2x1x2x128xbf16> {
  %r0 = attn.softmax_attention %q, %k, %v : (tensor<2x1x2x128xbf16>, tensor<2x1x2x128xbf16>, tensor<2x1x2x128xbf16>) -> tensor<2x1x2x128xbf16>
  return %r0 : tensor<2x1x2x128xbf16>
}

// decode: 16-row warps, cp.async, 79 key blocks
func.func @sm_decode_long(%q: tensor<1x1x8x128xbf16>, %k: tensor<1x5000x2x128xbf16>, %v: tensor<1x5000x2x128xbf16>) -> tensor<1x1x8x128xbf16> {
  %r0 = attn.softmax_attention %q, %k, %v : (tensor<1x1x8x128xbf16>, tensor<1x5000x2x128xbf16>, tensor<1x5000x2x128xbf16>) -> tensor<1x1x8x128xbf16>
  return %r0 : tensor<1x1x8x128xbf16>
}

// non-causal, Tq != Tk
func.func @sm_noncausal_tk(%q: tensor<1x200x2x64xbf16>, %k: tensor<1x333x2x64xbf16>, %v: tensor<1x333x2x64xbf16>) -> tensor<1x200x2x64xbf16> {
  %r0 = attn.softmax_attention %q, %k, %v {causal = false} : (tensor<1x200x2x64xbf16>, tensor<1x333x2x64xbf16>, tensor<1x333x2x64xbf16>) -> tensor<1x200x2x64xbf16>
  return %r0 : tensor<1x200x2x64xbf16>
}

// f16 inputs: synchronous loads, one buffer
func.func @sm_f16_window(%q: tensor<1x300x4x64xf16>, %k: tensor<1x300x2x64xf16>, %v: tensor<1x300x2x64xf16>) -> tensor<1x300x4x64xf16> {
  %r0 = attn.softmax_attention %q, %k, %v {window = 100} : (tensor<1x300x4x64xf16>, tensor<1x300x2x64xf16>, tensor<1x300x2x64xf16>) -> tensor<1x300x4x64xf16>
  return %r0 : tensor<1x300x4x64xf16>
}

// f32 inputs: synchronous loads
func.func @sm_f32(%q: tensor<1x130x2x128xf32>, %k: tensor<1x130x2x128xf32>, %v: tensor<1x130x2x128xf32>) -> tensor<1x130x2x128xf32> {
  %r0 = attn.softmax_attention %q, %k, %v : (tensor<1x130x2x128xf32>, tensor<1x130x2x128xf32>, tensor<1x130x2x128xf32>) -> tensor<1x130x2x128xf32>
  return %r0 : tensor<1x130x2x128xf32>
}

// D = 256 decode: no wgmma, 16-row warps
func.func @sm_d256_decode(%q: tensor<1x1x4x256xbf16>, %k: tensor<1x300x2x256xbf16>, %v: tensor<1x300x2x256xbf16>) -> tensor<1x1x4x256xbf16> {
  %r0 = attn.softmax_attention %q, %k, %v : (tensor<1x1x4x256xbf16>, tensor<1x300x2x256xbf16>, tensor<1x300x2x256xbf16>) -> tensor<1x1x4x256xbf16>
  return %r0 : tensor<1x1x4x256xbf16>
}
