// Every bad input to attn-run gets a clear message and a non-zero exit.
// RUN: rm -rf %t && split-file %s %t

// RUN: not attn-run %t/missing.mlir 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: attn-run: error: {{.*}}missing.mlir

// RUN: not attn-run %t/two.mlir 2>&1 | FileCheck %s --check-prefix=SEVERAL
// SEVERAL: attn-run: error: the module has several functions (@a, @b); choose one with --func

// RUN: not attn-run %t/two.mlir --func=nope 2>&1 | FileCheck %s --check-prefix=NOFUNC
// NOFUNC: attn-run: error: no function @nope in {{.*}}two.mlir (functions: @a, @b)

// RUN: not attn-run %t/dynamic.mlir 2>&1 | FileCheck %s --check-prefix=DYNAMIC
// DYNAMIC: attn-run: error: argument #0 of @dyn has type tensor<1x?x2x16xf32>; attn-run needs ranked tensors of static shape

// RUN: not attn-run %t/int.mlir 2>&1 | FileCheck %s --check-prefix=INT
// INT: attn-run: error: argument #0 of @int: element type i16 is not supported (f32, f16, bf16; i32 for cu_seqlens)

// RUN: not attn-run %t/twoops.mlir --check 2>&1 | FileCheck %s --check-prefix=TWOOPS
// TWOOPS: attn-run: error: --check needs @twoops to be one attn op on its arguments: the function body must be exactly one attn op and a return

// RUN: not attn-run %t/malformed.mlir 2>&1 | FileCheck %s --check-prefix=MALFORMED
// MALFORMED: malformed.mlir:2:3: error:

// RUN: not attn-run %t/invalid.mlir 2>&1 | FileCheck %s --check-prefix=INVALID
// INVALID: invalid.mlir:2:8: error: 'attn.softmax_attention' op the query head count (2) must be a multiple of the key/value head count (3) (grouped-query attention)

// RUN: not attn-run %t/two.mlir --func=a --gate=medium 2>&1 | FileCheck %s --check-prefix=GATE
// GATE: attn-run: error: --gate must be 'weak', 'strong' or a log-decay (a number such as -1e4 or -inf), got 'medium'

// RUN: not attn-run %t/two.mlir --func=a --pipeline='no-such-pass' 2>&1 | FileCheck %s --check-prefix=PIPELINE
// PIPELINE: attn-run: error: cannot parse --pipeline 'no-such-pass'

// RUN: not attn-run %t/two.mlir --func=a --pipeline='attn-reference-to-llvm' 2>&1 | FileCheck %s --check-prefix=NOOUT
// NOOUT: attn-run: error: the pipeline left @a returning values; it must turn results into out-parameters

// Inputs written by one run feed the next: the same inputs give the same
// check, and arrays of the wrong shape, count or format are rejected.
// RUN: attn-run %t/two.mlir --func=a --output-dir=%t/out --check | FileCheck %s --check-prefix=WRITE
// WRITE: @a result #0 'o' tensor<1x5x2x16xf32>: rel_err {{.*}} ok
// RUN: attn-run %t/two.mlir --func=a --input=%t/out/arg0.npy --input=%t/out/arg1.npy --input=%t/out/arg2.npy --check | FileCheck %s --check-prefix=WRITE
// RUN: not attn-run %t/two.mlir --func=a --input=%t/out/arg0.npy 2>&1 | FileCheck %s --check-prefix=COUNT
// COUNT: attn-run: error: @a takes 3 arguments but 1 --input files were given
// RUN: not attn-run %t/two.mlir --func=b --input=%t/out/arg0.npy --input=%t/out/arg1.npy --input=%t/out/arg2.npy 2>&1 | FileCheck %s --check-prefix=SHAPE
// SHAPE: attn-run: error: input #0 ({{.*}}arg0.npy) has shape [1, 5, 2, 16] but argument #0 of @b is tensor<1x3x2x16xf32>
// RUN: not attn-run %t/two.mlir --func=a --input=%t/two.mlir --input=%t/out/arg1.npy --input=%t/out/arg2.npy 2>&1 | FileCheck %s --check-prefix=NOTNPY
// NOTNPY: attn-run: error: {{.*}}two.mlir

//--- two.mlir
func.func @a(%q: tensor<1x5x2x16xf32>, %k: tensor<1x5x2x16xf32>, %v: tensor<1x5x2x16xf32>) -> tensor<1x5x2x16xf32> {
  %o = attn.softmax_attention %q, %k, %v : (tensor<1x5x2x16xf32>, tensor<1x5x2x16xf32>, tensor<1x5x2x16xf32>) -> tensor<1x5x2x16xf32>
  return %o : tensor<1x5x2x16xf32>
}
func.func @b(%q: tensor<1x3x2x16xf32>, %k: tensor<1x5x2x16xf32>, %v: tensor<1x5x2x16xf32>) -> tensor<1x3x2x16xf32> {
  %o = attn.softmax_attention %q, %k, %v : (tensor<1x3x2x16xf32>, tensor<1x5x2x16xf32>, tensor<1x5x2x16xf32>) -> tensor<1x3x2x16xf32>
  return %o : tensor<1x3x2x16xf32>
}

//--- dynamic.mlir
func.func @dyn(%q: tensor<1x?x2x16xf32>, %k: tensor<1x?x2x16xf32>, %v: tensor<1x?x2x16xf32>) -> tensor<1x?x2x16xf32> {
  %o = attn.softmax_attention %q, %k, %v : (tensor<1x?x2x16xf32>, tensor<1x?x2x16xf32>, tensor<1x?x2x16xf32>) -> tensor<1x?x2x16xf32>
  return %o : tensor<1x?x2x16xf32>
}

//--- int.mlir
func.func @int(%x: tensor<4xi16>) -> tensor<4xi16> {
  return %x : tensor<4xi16>
}

//--- twoops.mlir
func.func @twoops(%q: tensor<1x5x2x16xf32>, %k: tensor<1x5x2x16xf32>, %v: tensor<1x5x2x16xf32>) -> tensor<1x5x2x16xf32> {
  %o = attn.softmax_attention %q, %k, %v : (tensor<1x5x2x16xf32>, tensor<1x5x2x16xf32>, tensor<1x5x2x16xf32>) -> tensor<1x5x2x16xf32>
  %p = attn.softmax_attention %o, %k, %v : (tensor<1x5x2x16xf32>, tensor<1x5x2x16xf32>, tensor<1x5x2x16xf32>) -> tensor<1x5x2x16xf32>
  return %p : tensor<1x5x2x16xf32>
}

//--- malformed.mlir
func.func @m() {
  this is not mlir
}

//--- invalid.mlir
func.func @inv(%q: tensor<1x5x2x16xf32>, %k: tensor<1x5x3x16xf32>, %v: tensor<1x5x3x16xf32>) -> tensor<1x5x2x16xf32> {
  %o = attn.softmax_attention %q, %k, %v : (tensor<1x5x2x16xf32>, tensor<1x5x3x16xf32>, tensor<1x5x3x16xf32>) -> tensor<1x5x2x16xf32>
  return %o : tensor<1x5x2x16xf32>
}
