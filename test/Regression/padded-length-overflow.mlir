// Padding a static T to a multiple of the chunk size must not overflow int64.
// attn-lower-chunkwise folded N * C, which wrapped around to a negative size
// and left IR that did not verify; it is now a located error.

// RUN: attn-opt %s -split-input-file --attn-lower-chunkwise -verify-diagnostics -o /dev/null

func.func @pad_overflow(%q: tensor<1x9223372036854775805x1x16xf32>) -> tensor<1x9223372036854775805x1x16xf32> {
  // expected-error @+2 {{'attn.linear_attention' op sequence length 9223372036854775805 padded to a multiple of the chunk size 4611686018427387905 exceeds the 64-bit size range}}
  // expected-error @+1 {{failed to legalize operation 'attn.linear_attention'}}
  %o = attn.linear_attention %q, %q, %q {form = #attn.form<chunkwise>, chunk_size = 4611686018427387905} : (tensor<1x9223372036854775805x1x16xf32>, tensor<1x9223372036854775805x1x16xf32>, tensor<1x9223372036854775805x1x16xf32>) -> tensor<1x9223372036854775805x1x16xf32>
  return %o : tensor<1x9223372036854775805x1x16xf32>
}

// -----

func.func @pad_overflow_softmax(%q: tensor<1x9223372036854775805x1x16xf32>) -> tensor<1x9223372036854775805x1x16xf32> {
  // expected-error @+2 {{'attn.softmax_attention' op query length 9223372036854775805 padded to a multiple of the chunk size 4611686018427387905 exceeds the 64-bit size range}}
  // expected-error @+1 {{failed to legalize operation 'attn.softmax_attention'}}
  %o = attn.softmax_attention %q, %q, %q {form = #attn.form<chunkwise>, chunk_size = 4611686018427387905} : (tensor<1x9223372036854775805x1x16xf32>, tensor<1x9223372036854775805x1x16xf32>, tensor<1x9223372036854775805x1x16xf32>) -> tensor<1x9223372036854775805x1x16xf32>
  return %o : tensor<1x9223372036854775805x1x16xf32>
}
