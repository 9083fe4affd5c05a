// RUN: attn-opt %s -split-input-file --attn-lower-to-reference -verify-diagnostics
// RUN: attn-opt %s -split-input-file --attn-select-form="form=chunkwise" --attn-select-chunk --attn-lower-chunkwise -verify-diagnostics

// The lowerings see one sequence per op: packed sequences must have been
// split by attn-parallelize-heads (every attn pipeline runs it first). The
// dialect conversion then reports the op it could not lower.

func.func @linear(%q: tensor<1x64x2x16xf32>, %cu: tensor<3xi32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+2 {{failed to legalize operation 'attn.linear_attention'}}
  // expected-error @+1 {{'attn.linear_attention' op has packed sequences (cu_seqlens): run --attn-parallelize-heads first (the attn pipelines do), which gives each sequence an op of its own}}
  %o = attn.linear_attention %q, %q, %q cu_seqlens(%cu) : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<3xi32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @softmax(%q: tensor<1x64x2x16xf32>, %cu: tensor<3xi32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+2 {{failed to legalize operation 'attn.softmax_attention'}}
  // expected-error @+1 {{'attn.softmax_attention' op has packed sequences (cu_seqlens): run --attn-parallelize-heads first}}
  %o = attn.softmax_attention %q, %q, %q cu_seqlens(%cu) : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<3xi32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}
