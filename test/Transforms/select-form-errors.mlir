// RUN: attn-opt %s -split-input-file --attn-select-form="form=reassociated" -verify-diagnostics
// RUN: not attn-opt %s --attn-select-form="form=blocked" 2>&1 | FileCheck %s --check-prefix=FORM
// RUN: not attn-opt %s --attn-select-form="target=tpu" 2>&1 | FileCheck %s --check-prefix=TARGET
// RUN: not attn-opt %s --attn-select-chunk="target=tpu" 2>&1 | FileCheck %s --check-prefix=TARGET
// RUN: not attn-opt %s --attn-select-chunk="chunk-size=-4" 2>&1 | FileCheck %s --check-prefix=CHUNK
// RUN: not attn-opt %s --attn-lower-chunkwise 2>&1 | FileCheck %s --check-prefix=NOCHUNK

// FORM: error: attn-select-form: unknown form 'blocked'; expected auto, recurrent, quadratic, chunkwise or reassociated
// TARGET: error: unknown attn target 'tpu'; known targets: x86-avx512 x86-avx2 sm_80 sm_90
// CHUNK: error: attn-select-chunk: chunk-size must be positive, got -4
// NOCHUNK: error: 'attn.linear_attention' op has form 'chunkwise' but no 'chunk_size'; run --attn-select-chunk or set chunk_size

func.func @forced_inapplicable(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>, %v: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  // expected-error @+1 {{'attn.linear_attention' op form 'reassociated' (forced by attn-select-form) does not apply; applicable forms: recurrent quadratic chunkwise}}
  %o = attn.linear_attention %q, %k, %v {chunk_size = 16} : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}

// -----

func.func @no_chunk(%q: tensor<1x64x2x16xf32>, %k: tensor<1x64x2x16xf32>, %v: tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32> {
  %o = attn.linear_attention %q, %k, %v {form = #attn.form<chunkwise>} : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x2x16xf32>
  return %o : tensor<1x64x2x16xf32>
}
