// The softmax kernel's variants (32-row warps with cp.async double
// buffering for bf16, synchronous loads for f16/f32, 16-row warps for decode
// and D = 256) compile to PTX that ptxas accepts for sm_90a and sm_80;
// bench/gpu/gen_kernels.py adds them to the GPU check set.
// RUN: rm -rf %t
// RUN: attn-gpu-compile %s --target=sm_90 -o %t/sm90 | FileCheck %s
// RUN: attn-gpu-compile %s --target=sm_80 -o %t/sm80
// RUN: FileCheck %s --check-prefix=ASYNC < %t/sm90/sm_gqa_long.ptx
// RUN: FileCheck %s --check-prefix=SYNC < %t/sm80/sm_f32.ptx
// RUN: FileCheck %s --check-prefix=JSON < %t/sm90/sm_gqa_long.json
// RUN: %if ptxas %{ %python %S/assemble.py %ptxas sm_90a %t/sm90 %}
// RUN: %if ptxas %{ %python %S/assemble.py %ptxas sm_80 %t/sm80 %}

// CHECK-COUNT-9: {{.*}}.ptx, {{.*}}.json

// ASYNC: .visible .entry sm_gqa_long_kernel(
// ASYNC-DAG: cp.async.cg.shared.global [{{.*}}], [{{.*}}], 16, {{%r[0-9]+}};
// ASYNC-DAG: cp.async.commit_group;
// ASYNC-DAG: cp.async.wait_group 0;
// ASYNC-DAG: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32

// SYNC: .visible .entry sm_f32_kernel(
// SYNC-NOT: cp.async
// SYNC: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32

// 128-row query blocks of 4 warps: 1030 queries, 9 blocks.
// JSON:      "grid": [
// JSON-NEXT:   9,
// JSON-NEXT:   4,
// JSON:      "op": "softmax_attention"

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
