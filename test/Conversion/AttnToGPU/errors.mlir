// RUN: attn-opt %s -attn-lower-to-gpu -split-input-file -verify-diagnostics
// RUN: not attn-opt %s -attn-lower-to-gpu=target=x86-avx512 2>&1 | FileCheck %s --check-prefix=TARGET

// TARGET: error: attn-lower-to-gpu: 'x86-avx512' is not a GPU target (use sm_80 or sm_90)

func.func @normalized(%q: tensor<1x64x2x64xbf16>, %k: tensor<1x64x2x64xbf16>,
                      %v: tensor<1x64x2x64xbf16>) -> tensor<1x64x2x64xbf16> {
  // expected-error @below {{`normalize` is not supported by the GPU kernels yet}}
  %o = attn.linear_attention %q, %k, %v {normalize}
      : (tensor<1x64x2x64xbf16>, tensor<1x64x2x64xbf16>,
         tensor<1x64x2x64xbf16>) -> tensor<1x64x2x64xbf16>
  return %o : tensor<1x64x2x64xbf16>
}

// -----

func.func @noncausal(%q: tensor<1x64x2x64xbf16>, %k: tensor<1x64x2x64xbf16>,
                     %v: tensor<1x64x2x64xbf16>) -> tensor<1x64x2x64xbf16> {
  // expected-error @below {{non-causal linear attention is not supported by the GPU kernels yet}}
  %o = attn.linear_attention %q, %k, %v {causal = false}
      : (tensor<1x64x2x64xbf16>, tensor<1x64x2x64xbf16>,
         tensor<1x64x2x64xbf16>) -> tensor<1x64x2x64xbf16>
  return %o : tensor<1x64x2x64xbf16>
}

// -----

func.func @odd_dim(%q: tensor<1x64x2x40xbf16>, %k: tensor<1x64x2x40xbf16>,
                   %v: tensor<1x64x2x40xbf16>) -> tensor<1x64x2x40xbf16> {
  // expected-error @below {{GPU kernels need head dims that are multiples of 16 and at most 256 (Dk = 40, Dv = 40)}}
  %o = attn.softmax_attention %q, %k, %v
      : (tensor<1x64x2x40xbf16>, tensor<1x64x2x40xbf16>,
         tensor<1x64x2x40xbf16>) -> tensor<1x64x2x40xbf16>
  return %o : tensor<1x64x2x40xbf16>
}

// -----

func.func @dynamic(%q: tensor<1x?x2x64xbf16>, %k: tensor<1x?x2x64xbf16>,
                   %v: tensor<1x?x2x64xbf16>) -> tensor<1x?x2x64xbf16> {
  // expected-error @below {{GPU kernels need static shapes}}
  %o = attn.softmax_attention %q, %k, %v
      : (tensor<1x?x2x64xbf16>, tensor<1x?x2x64xbf16>,
         tensor<1x?x2x64xbf16>) -> tensor<1x?x2x64xbf16>
  return %o : tensor<1x?x2x64xbf16>
}

// -----

// expected-error @below {{attn-lower-to-gpu: a GPU kernel function must hold exactly one attn op on its arguments and return its results}}
func.func @two_ops(%q: tensor<1x64x2x64xbf16>, %k: tensor<1x64x2x64xbf16>,
                   %v: tensor<1x64x2x64xbf16>) -> tensor<1x64x2x64xbf16> {
  %o = attn.softmax_attention %q, %k, %v
      : (tensor<1x64x2x64xbf16>, tensor<1x64x2x64xbf16>,
         tensor<1x64x2x64xbf16>) -> tensor<1x64x2x64xbf16>
  %p = attn.softmax_attention %o, %k, %v
      : (tensor<1x64x2x64xbf16>, tensor<1x64x2x64xbf16>,
         tensor<1x64x2x64xbf16>) -> tensor<1x64x2x64xbf16>
  return %p : tensor<1x64x2x64xbf16>
}

// -----

// RUN: not attn-opt %s -attn-lower-to-gpu=block-v=48 2>&1 | FileCheck %s --check-prefix=BLOCKV
// BLOCKV: error: attn-lower-to-gpu: block-v must be 0, 16, 32 or 64, got 48

// -----

// RUN: not attn-opt %s -attn-lower-to-gpu=fuse-outputs=yes 2>&1 | FileCheck %s --check-prefix=FUSE
// FUSE: error: attn-lower-to-gpu: fuse-outputs must be auto, on or off, got 'yes'

// -----

func.func @packed(%q: tensor<1x64x2x64xbf16>, %k: tensor<1x64x2x64xbf16>,
                  %v: tensor<1x64x2x64xbf16>, %cu: tensor<3xi32>)
    -> tensor<1x64x2x64xbf16> {
  // expected-error @below {{packed sequences (cu_seqlens) are not supported by the GPU kernels yet}}
  %o = attn.linear_attention %q, %k, %v cu_seqlens(%cu)
      : (tensor<1x64x2x64xbf16>, tensor<1x64x2x64xbf16>,
         tensor<1x64x2x64xbf16>, tensor<3xi32>) -> tensor<1x64x2x64xbf16>
  return %o : tensor<1x64x2x64xbf16>
}

// -----

func.func @favor(%q: tensor<1x64x2x64xf32>, %k: tensor<1x64x2x64xf32>,
                 %v: tensor<1x64x2x64xf32>, %w: tensor<32x64xf32>)
    -> tensor<1x64x2x64xf32> {
  // expected-error @below {{the favor feature map is not supported by the GPU kernels yet}}
  %o = attn.linear_attention %q, %k, %v projection(%w)
      {feature_map = #attn.feature_map<favor>}
      : (tensor<1x64x2x64xf32>, tensor<1x64x2x64xf32>,
         tensor<1x64x2x64xf32>, tensor<32x64xf32>) -> tensor<1x64x2x64xf32>
  return %o : tensor<1x64x2x64xf32>
}

// -----

// Gradients have no GPU kernels yet.
func.func @gradient(%q: tensor<1x64x2x64xbf16>) -> (tensor<1x64x2x64xbf16>, tensor<1x64x2x64xbf16>, tensor<1x64x2x64xbf16>) {
  // expected-error @+1 {{'attn.linear_attention_grad' op has no GPU kernels yet: gradients run on the CPU targets}}
  %dq, %dk, %dv = attn.linear_attention_grad %q, %q, %q, %q
      : (tensor<1x64x2x64xbf16>, tensor<1x64x2x64xbf16>, tensor<1x64x2x64xbf16>, tensor<1x64x2x64xbf16>)
      -> (tensor<1x64x2x64xbf16>, tensor<1x64x2x64xbf16>, tensor<1x64x2x64xbf16>)
  return %dq, %dk, %dv : tensor<1x64x2x64xbf16>, tensor<1x64x2x64xbf16>, tensor<1x64x2x64xbf16>
}
