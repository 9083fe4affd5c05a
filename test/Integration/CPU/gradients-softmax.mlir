// attn.softmax_attention_grad through attn-expand-grad (blocks of 64 query
// rows, each block's weights recomputed over all keys) against the float64
// gradients of lib/Reference/Gradients.cpp: T = 1, T not a multiple of the
// block, GQA, decode (Tq < Tk), a sliding window, non-causal with Tq != Tk,
// D = 16..64, bf16.

// RUN: attn-run %s --all --check | FileCheck %s
// RUN: attn-run %s --all --check --form=reference | FileCheck %s
// CHECK-NOT: FAIL
// CHECK: @softmax_t1 result #0 'dq'{{.*}} ok
// CHECK: @softmax_bf16 result #2 'dv'{{.*}} ok

func.func @softmax_t1(%q: tensor<1x1x2x16xf32>, %k: tensor<1x1x2x16xf32>, %v: tensor<1x1x2x16xf32>, %do: tensor<1x1x2x16xf32>) -> (tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>) {
  %dq, %dk, %dv = attn.softmax_attention_grad %q, %k, %v, %do
      : (tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>) -> (tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>)
  return %dq, %dk, %dv : tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>
}

func.func @softmax_t100(%q: tensor<2x100x2x32xf32>, %k: tensor<2x100x2x32xf32>, %v: tensor<2x100x2x16xf32>, %do: tensor<2x100x2x16xf32>) -> (tensor<2x100x2x32xf32>, tensor<2x100x2x32xf32>, tensor<2x100x2x16xf32>) {
  %dq, %dk, %dv = attn.softmax_attention_grad %q, %k, %v, %do
      : (tensor<2x100x2x32xf32>, tensor<2x100x2x32xf32>, tensor<2x100x2x16xf32>, tensor<2x100x2x16xf32>) -> (tensor<2x100x2x32xf32>, tensor<2x100x2x32xf32>, tensor<2x100x2x16xf32>)
  return %dq, %dk, %dv : tensor<2x100x2x32xf32>, tensor<2x100x2x32xf32>, tensor<2x100x2x16xf32>
}

func.func @softmax_gqa_d64(%q: tensor<1x130x4x64xf32>, %k: tensor<1x130x2x64xf32>, %v: tensor<1x130x2x64xf32>, %do: tensor<1x130x4x64xf32>) -> (tensor<1x130x4x64xf32>, tensor<1x130x2x64xf32>, tensor<1x130x2x64xf32>) {
  %dq, %dk, %dv = attn.softmax_attention_grad %q, %k, %v, %do
      : (tensor<1x130x4x64xf32>, tensor<1x130x2x64xf32>, tensor<1x130x2x64xf32>, tensor<1x130x4x64xf32>) -> (tensor<1x130x4x64xf32>, tensor<1x130x2x64xf32>, tensor<1x130x2x64xf32>)
  return %dq, %dk, %dv : tensor<1x130x4x64xf32>, tensor<1x130x2x64xf32>, tensor<1x130x2x64xf32>
}

func.func @softmax_decode(%q: tensor<1x3x4x32xf32>, %k: tensor<1x70x1x32xf32>, %v: tensor<1x70x1x32xf32>, %do: tensor<1x3x4x32xf32>) -> (tensor<1x3x4x32xf32>, tensor<1x70x1x32xf32>, tensor<1x70x1x32xf32>) {
  %dq, %dk, %dv = attn.softmax_attention_grad %q, %k, %v, %do
      : (tensor<1x3x4x32xf32>, tensor<1x70x1x32xf32>, tensor<1x70x1x32xf32>, tensor<1x3x4x32xf32>) -> (tensor<1x3x4x32xf32>, tensor<1x70x1x32xf32>, tensor<1x70x1x32xf32>)
  return %dq, %dk, %dv : tensor<1x3x4x32xf32>, tensor<1x70x1x32xf32>, tensor<1x70x1x32xf32>
}

func.func @softmax_window(%q: tensor<1x90x2x16xf32>, %k: tensor<1x90x2x16xf32>, %v: tensor<1x90x2x16xf32>, %do: tensor<1x90x2x16xf32>) -> (tensor<1x90x2x16xf32>, tensor<1x90x2x16xf32>, tensor<1x90x2x16xf32>) {
  %dq, %dk, %dv = attn.softmax_attention_grad %q, %k, %v, %do {window = 20}
      : (tensor<1x90x2x16xf32>, tensor<1x90x2x16xf32>, tensor<1x90x2x16xf32>, tensor<1x90x2x16xf32>) -> (tensor<1x90x2x16xf32>, tensor<1x90x2x16xf32>, tensor<1x90x2x16xf32>)
  return %dq, %dk, %dv : tensor<1x90x2x16xf32>, tensor<1x90x2x16xf32>, tensor<1x90x2x16xf32>
}

func.func @softmax_noncausal(%q: tensor<1x50x2x16xf32>, %k: tensor<1x37x2x16xf32>, %v: tensor<1x37x2x32xf32>, %do: tensor<1x50x2x32xf32>) -> (tensor<1x50x2x16xf32>, tensor<1x37x2x16xf32>, tensor<1x37x2x32xf32>) {
  %dq, %dk, %dv = attn.softmax_attention_grad %q, %k, %v, %do {causal = false, scale = 0.3}
      : (tensor<1x50x2x16xf32>, tensor<1x37x2x16xf32>, tensor<1x37x2x32xf32>, tensor<1x50x2x32xf32>) -> (tensor<1x50x2x16xf32>, tensor<1x37x2x16xf32>, tensor<1x37x2x32xf32>)
  return %dq, %dk, %dv : tensor<1x50x2x16xf32>, tensor<1x37x2x16xf32>, tensor<1x37x2x32xf32>
}

func.func @softmax_bf16(%q: tensor<1x80x2x64xbf16>, %k: tensor<1x80x2x64xbf16>, %v: tensor<1x80x2x64xbf16>, %do: tensor<1x80x2x64xbf16>) -> (tensor<1x80x2x64xbf16>, tensor<1x80x2x64xbf16>, tensor<1x80x2x64xbf16>) {
  %dq, %dk, %dv = attn.softmax_attention_grad %q, %k, %v, %do
      : (tensor<1x80x2x64xbf16>, tensor<1x80x2x64xbf16>, tensor<1x80x2x64xbf16>, tensor<1x80x2x64xbf16>) -> (tensor<1x80x2x64xbf16>, tensor<1x80x2x64xbf16>, tensor<1x80x2x64xbf16>)
  return %dq, %dk, %dv : tensor<1x80x2x64xbf16>, tensor<1x80x2x64xbf16>, tensor<1x80x2x64xbf16>
}
