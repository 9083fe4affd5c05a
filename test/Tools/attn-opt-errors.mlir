// Bad input to attn-opt: a missing file, bad pass and pipeline options, and
// ops the passes cannot lower each give a message and a non-zero exit.
// (Verifier messages: test/Dialect/Attn/invalid.mlir; form and chunk
// selection: test/Transforms/select-form-errors.mlir.)

// RUN: not attn-opt %t.missing.mlir 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: cannot open input file '{{.*}}missing.mlir': No such file or directory

// RUN: not attn-opt %s --attn-select-chunk="chunk-size=abc" 2>&1 | FileCheck %s --check-prefix=CHUNKTEXT
// CHUNKTEXT: for the --chunk-size option: 'abc' value invalid
// RUN: not attn-opt %s --attn-select-form="explain=maybe" 2>&1 | FileCheck %s --check-prefix=BOOL
// BOOL: for the --explain option: 'maybe' is invalid value for boolean argument
// RUN: not attn-opt %s --attn-select-form="no-such-option=1" 2>&1 | FileCheck %s --check-prefix=OPTION
// OPTION: no such option no-such-option
// RUN: not attn-opt %s --no-such-pass 2>&1 | FileCheck %s --check-prefix=PASS
// PASS: Unknown command line argument '--no-such-pass'

// The pipelines check their options like the passes they run.
// RUN: not attn-opt %s --attn-to-llvm="target=tpu" 2>&1 | FileCheck %s --check-prefix=TARGET
// TARGET: error: unknown attn target 'tpu'; known targets: x86-avx512 x86-avx2 sm_80 sm_90
// RUN: not attn-opt %s --attn-to-llvm="form=blocked" 2>&1 | FileCheck %s --check-prefix=FORM
// FORM: error: attn-select-form: unknown form 'blocked'; expected auto, recurrent, quadratic, chunkwise or reassociated
// RUN: not attn-opt %s --attn-to-llvm="chunk-size=-3" 2>&1 | FileCheck %s --check-prefix=CHUNK
// CHUNK: error: attn-select-chunk: chunk-size must be positive, got -3
// RUN: not attn-opt %s --attn-to-llvm="form=reassociated" 2>&1 | FileCheck %s --check-prefix=INAPPLICABLE
// INAPPLICABLE: attn-opt-errors.mlir:[[@LINE+5]]:8: error: 'attn.gated_linear_attention' op form 'reassociated' (forced by attn-select-form) does not apply; applicable forms: recurrent quadratic chunkwise

// A well-formed function the options above are tried on.
func.func @gated(%q: tensor<1x8x2x16xf32>, %g: tensor<1x8x2xf32>)
    -> tensor<1x8x2x16xf32> {
  %o = attn.gated_linear_attention %q, %q, %q, %g
      : (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>,
         tensor<1x8x2xf32>) -> tensor<1x8x2x16xf32>
  return %o : tensor<1x8x2x16xf32>
}
