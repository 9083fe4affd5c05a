// More bad input to attn-run (attn-run-errors.mlir has the first ones): wrong
// options, signatures, sizes and .npy files each give one clear message and a
// non-zero exit, never a crash.
// RUN: rm -rf %t && split-file %s %t

// Options are checked before anything is compiled.
// RUN: not attn-run %t/ok.mlir --form=blocked 2>&1 | FileCheck %s --check-prefix=FORM
// FORM: attn-run: error: --form must be auto, recurrent, quadratic, chunkwise, reassociated or reference, got 'blocked'
// RUN: not attn-run %t/ok.mlir --target=tpu 2>&1 | FileCheck %s --check-prefix=TARGET
// TARGET: attn-run: error: --target must be one of x86-avx512, x86-avx2, sm_80, sm_90, got 'tpu'
// RUN: not attn-run %t/ok.mlir --chunk-size=-4 2>&1 | FileCheck %s --check-prefix=CHUNK
// CHUNK: attn-run: error: --chunk-size must be positive (or 0: the cost model), got -4
// RUN: not attn-run %t/ok.mlir --tolerance=0 2>&1 | FileCheck %s --check-prefix=TOL
// RUN: not attn-run %t/ok.mlir --tolerance=-1e-3 2>&1 | FileCheck %s --check-prefix=TOL
// TOL: attn-run: error: --tolerance must be a positive number, got
// RUN: not attn-run %t/ok.mlir --tolerance=tight 2>&1 | FileCheck %s --check-prefix=TOLTEXT
// TOLTEXT: for the --tolerance option: 'tight' value invalid
// RUN: not attn-run %t/ok.mlir --gate=nan 2>&1 | FileCheck %s --check-prefix=GATENAN
// GATENAN: attn-run: error: --gate must be 'weak', 'strong' or a log-decay (a number such as -1e4 or -inf), got 'nan'
// RUN: not attn-run %t/ok.mlir --gate=-1e4x 2>&1 | FileCheck %s --check-prefix=GATETEXT
// GATETEXT: attn-run: error: --gate must be 'weak', 'strong' or a log-decay (a number such as -1e4 or -inf), got '-1e4x'
// RUN: not attn-run %t/ok.mlir --beta=half 2>&1 | FileCheck %s --check-prefix=BETA
// RUN: not attn-run %t/ok.mlir --beta=inf 2>&1 | FileCheck %s --check-prefix=BETA
// BETA: attn-run: error: --beta must be 'random' or a finite number, got
// RUN: not attn-run %t/ok.mlir --repeat=0 2>&1 | FileCheck %s --check-prefix=REPEAT
// REPEAT: attn-run: error: --repeat must be at least 1
// RUN: not attn-run %t/ok.mlir --no-such-option 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// UNKNOWN: Unknown command line argument '--no-such-option'
// RUN: not attn-run %t/ok.mlir --all --func=ok 2>&1 | FileCheck %s --check-prefix=ALLFUNC
// ALLFUNC: attn-run: error: --all and --func exclude each other
// RUN: not attn-run %t/ok.mlir --output-dir=%t/ok.mlir 2>&1 | FileCheck %s --check-prefix=OUTDIR
// OUTDIR: attn-run: error: '{{.*}}ok.mlir/arg0.npy': cannot open for writing

// A form that does not apply to the op is a located error of form selection.
// RUN: not attn-run %t/ok.mlir --form=reassociated 2>&1 | FileCheck %s --check-prefix=INAPPLICABLE
// INAPPLICABLE: ok.mlir:2:8: error: 'attn.softmax_attention' op form 'reassociated' (forced by attn-select-form) does not apply; applicable forms: quadratic chunkwise
// INAPPLICABLE: attn-run: error: lowering with 'attn-to-cpu{{.*}}' failed
// RUN: not attn-run %t/ok.mlir --form=recurrent 2>&1 | FileCheck %s --check-prefix=NORECURRENCE
// NORECURRENCE: error: 'attn.softmax_attention' op form 'recurrent' (forced by attn-select-form) does not apply

// A pipeline that does not reach the LLVM dialect.
// RUN: not attn-run %t/ok.mlir --pipeline='canonicalize' 2>&1 | FileCheck %s --check-prefix=NOLLVM
// NOLLVM: attn-run: error: the pipeline did not lower @ok to llvm.func

// Files without anything to run.
// RUN: not attn-run %t/empty.mlir 2>&1 | FileCheck %s --check-prefix=EMPTY
// RUN: not attn-run %t/declaration.mlir 2>&1 | FileCheck %s --check-prefix=EMPTY
// EMPTY: attn-run: error: the module has no function with a body

// Signatures attn-run cannot feed.
// RUN: not attn-run %t/noresult.mlir 2>&1 | FileCheck %s --check-prefix=NORESULT
// NORESULT: attn-run: error: @noresult returns nothing
// RUN: not attn-run %t/scalar.mlir 2>&1 | FileCheck %s --check-prefix=SCALAR
// SCALAR: attn-run: error: argument #0 of @scalar has type f32; attn-run needs ranked tensors of static shape
// RUN: not attn-run %t/unranked.mlir 2>&1 | FileCheck %s --check-prefix=UNRANKED
// UNRANKED: attn-run: error: argument #0 of @unranked has type tensor<*xf32>; attn-run needs ranked tensors of static shape
// RUN: not attn-run %t/i8result.mlir 2>&1 | FileCheck %s --check-prefix=I8
// I8: attn-run: error: result #0 of @i8result: element type i8 is not supported (f32, f16, bf16; i32 for cu_seqlens)
// RUN: not attn-run %t/huge.mlir 2>&1 | FileCheck %s --check-prefix=HUGE
// HUGE: attn-run: error: argument #0 of @huge has type tensor<4294967296x4294967296xf32>, more than the 1 TiB attn-run can allocate on the host

// An empty batch (B = 0), or any zero-sized dimension, is rejected by the
// verifier with its location.
// RUN: not attn-run %t/batch0.mlir 2>&1 | FileCheck %s --check-prefix=BATCH0
// BATCH0: batch0.mlir:2:8: error: 'attn.gated_linear_attention' op 'q' has a zero-sized dimension: 'tensor<0x8x2x16xf32>'
// RUN: not attn-run %t/t0.mlir 2>&1 | FileCheck %s --check-prefix=T0
// T0: t0.mlir:2:8: error: 'attn.delta_rule' op 'q' has a zero-sized dimension: 'tensor<1x0x2x16xf32>'

// --check needs a function that is exactly one attn op on its arguments.
// RUN: not attn-run %t/unused.mlir --check 2>&1 | FileCheck %s --check-prefix=UNUSED
// UNUSED: attn-run: error: --check needs @unused to be one attn op on its arguments: function argument #3 is not used by the attn op
// RUN: not attn-run %t/returnsarg.mlir --check 2>&1 | FileCheck %s --check-prefix=RETURNSARG
// RETURNSARG: attn-run: error: --check needs @returnsarg to be one attn op on its arguments: the function must return the attn op's results directly
// RUN: not attn-run %t/sameargs.mlir --check 2>&1 | FileCheck %s --check-prefix=SAMEARGS
// SAMEARGS: attn-run: error: --check needs @sameargs to be one attn op on its arguments: operand 'k' must be a distinct function argument

// .npy inputs: more than one function, wrong dtype, truncated data.
// RUN: attn-run %t/ok.mlir --output-dir=%t/out > /dev/null
// RUN: not attn-run %t/two.mlir --all --input=%t/out/arg0.npy 2>&1 | FileCheck %s --check-prefix=INPUTALL
// INPUTALL: attn-run: error: --input needs a single function
// RUN: %python %S/../Integration/CPU/Inputs/make_npy.py %t/q.npy 1,5,2,16 uniform:-1:1:0
// RUN: %python -c "import sys; d = open(sys.argv[1], 'rb').read(); open(sys.argv[2], 'wb').write(d[:-8])" %t/q.npy %t/short.npy
// RUN: not attn-run %t/ok.mlir --input=%t/short.npy --input=%t/out/arg1.npy --input=%t/out/arg2.npy 2>&1 | FileCheck %s --check-prefix=TRUNCATED
// TRUNCATED: attn-run: error: '{{.*}}short.npy': truncated data: shape (1, 5, 2, 16) of float32 needs 640 bytes, the file has 632
// RUN: %python -c "import sys; d = open(sys.argv[1], 'rb').read().replace(b'<f4', b'<i4'); open(sys.argv[2], 'wb').write(d)" %t/q.npy %t/int.npy
// RUN: not attn-run %t/ok.mlir --input=%t/int.npy --input=%t/out/arg1.npy --input=%t/out/arg2.npy 2>&1 | FileCheck %s --check-prefix=INT32
// INT32: attn-run: error: input #0 ({{.*}}int.npy) is int32 but argument #0 of @ok is tensor<1x5x2x16xf32>; a float array is expected
// RUN: not attn-run %t/ok.mlir --input=%t --input=%t/out/arg1.npy --input=%t/out/arg2.npy 2>&1 | FileCheck %s --check-prefix=DIR
// DIR: attn-run: error: '{{.*}}': is a directory, not a .npy file

//--- ok.mlir
func.func @ok(%q: tensor<1x5x2x16xf32>, %k: tensor<1x5x2x16xf32>, %v: tensor<1x5x2x16xf32>) -> tensor<1x5x2x16xf32> {
  %o = attn.softmax_attention %q, %k, %v : (tensor<1x5x2x16xf32>, tensor<1x5x2x16xf32>, tensor<1x5x2x16xf32>) -> tensor<1x5x2x16xf32>
  return %o : tensor<1x5x2x16xf32>
}

//--- two.mlir
func.func @a(%q: tensor<1x5x2x16xf32>, %k: tensor<1x5x2x16xf32>, %v: tensor<1x5x2x16xf32>) -> tensor<1x5x2x16xf32> {
  %o = attn.softmax_attention %q, %k, %v : (tensor<1x5x2x16xf32>, tensor<1x5x2x16xf32>, tensor<1x5x2x16xf32>) -> tensor<1x5x2x16xf32>
  return %o : tensor<1x5x2x16xf32>
}
func.func @b(%q: tensor<1x5x2x16xf32>, %k: tensor<1x5x2x16xf32>, %v: tensor<1x5x2x16xf32>) -> tensor<1x5x2x16xf32> {
  %o = attn.softmax_attention %q, %k, %v : (tensor<1x5x2x16xf32>, tensor<1x5x2x16xf32>, tensor<1x5x2x16xf32>) -> tensor<1x5x2x16xf32>
  return %o : tensor<1x5x2x16xf32>
}

//--- empty.mlir

//--- declaration.mlir
func.func private @decl(tensor<4xf32>) -> tensor<4xf32>

//--- noresult.mlir
func.func @noresult(%x: tensor<4xf32>) {
  return
}

//--- scalar.mlir
func.func @scalar(%x: f32) -> f32 {
  return %x : f32
}

//--- unranked.mlir
func.func @unranked(%x: tensor<*xf32>) -> tensor<*xf32> {
  return %x : tensor<*xf32>
}

//--- i8result.mlir
func.func @i8result(%x: tensor<4xf32>) -> tensor<4xi8> {
  %c = arith.constant dense<1> : tensor<4xi8>
  return %c : tensor<4xi8>
}

//--- huge.mlir
func.func @huge(%x: tensor<4294967296x4294967296xf32>) -> tensor<4294967296x4294967296xf32> {
  return %x : tensor<4294967296x4294967296xf32>
}

//--- batch0.mlir
func.func @batch0(%q: tensor<0x8x2x16xf32>, %k: tensor<0x8x2x16xf32>, %v: tensor<0x8x2x16xf32>, %g: tensor<0x8x2xf32>) -> tensor<0x8x2x16xf32> {
  %o = attn.gated_linear_attention %q, %k, %v, %g : (tensor<0x8x2x16xf32>, tensor<0x8x2x16xf32>, tensor<0x8x2x16xf32>, tensor<0x8x2xf32>) -> tensor<0x8x2x16xf32>
  return %o : tensor<0x8x2x16xf32>
}

//--- t0.mlir
func.func @t0(%q: tensor<1x0x2x16xf32>, %k: tensor<1x0x2x16xf32>, %v: tensor<1x0x2x16xf32>, %beta: tensor<1x0x2xf32>) -> tensor<1x0x2x16xf32> {
  %o = attn.delta_rule %q, %k, %v, %beta : (tensor<1x0x2x16xf32>, tensor<1x0x2x16xf32>, tensor<1x0x2x16xf32>, tensor<1x0x2xf32>) -> tensor<1x0x2x16xf32>
  return %o : tensor<1x0x2x16xf32>
}

//--- unused.mlir
func.func @unused(%q: tensor<1x5x2x16xf32>, %k: tensor<1x5x2x16xf32>, %v: tensor<1x5x2x16xf32>, %x: tensor<1x5x2x16xf32>) -> tensor<1x5x2x16xf32> {
  %o = attn.softmax_attention %q, %k, %v : (tensor<1x5x2x16xf32>, tensor<1x5x2x16xf32>, tensor<1x5x2x16xf32>) -> tensor<1x5x2x16xf32>
  return %o : tensor<1x5x2x16xf32>
}

//--- returnsarg.mlir
func.func @returnsarg(%q: tensor<1x5x2x16xf32>, %k: tensor<1x5x2x16xf32>, %v: tensor<1x5x2x16xf32>) -> tensor<1x5x2x16xf32> {
  %o = attn.softmax_attention %q, %k, %v : (tensor<1x5x2x16xf32>, tensor<1x5x2x16xf32>, tensor<1x5x2x16xf32>) -> tensor<1x5x2x16xf32>
  return %q : tensor<1x5x2x16xf32>
}

//--- sameargs.mlir
func.func @sameargs(%q: tensor<1x5x2x16xf32>, %v: tensor<1x5x2x16xf32>) -> tensor<1x5x2x16xf32> {
  %o = attn.softmax_attention %q, %q, %v : (tensor<1x5x2x16xf32>, tensor<1x5x2x16xf32>, tensor<1x5x2x16xf32>) -> tensor<1x5x2x16xf32>
  return %o : tensor<1x5x2x16xf32>
}
