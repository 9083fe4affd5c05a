// attn-run with packed sequences: cu_seqlens is an int32 argument, drawn as
// random valid offsets (written as int32 .npy) or read from an int32 .npy,
// whose values are checked before anything runs.
// RUN: rm -rf %t && mkdir -p %t
// RUN: attn-run %s --output-dir=%t/out | FileCheck %s --check-prefix=DRAWN
// RUN: %python -c "import sys; d = open(sys.argv[1], 'rb').read(); assert b\"'descr': '<i4'\" in d and b\"(5,)\" in d, d[:80]" %t/out/arg3.npy
// RUN: attn-run %s --check --input=%t/out/arg0.npy --input=%t/out/arg1.npy --input=%t/out/arg2.npy --input=%t/out/arg3.npy | FileCheck %s --check-prefix=DRAWN
// RUN: %python %S/../Integration/CPU/Inputs/make_npy.py %t/equal.npy 5 int32:0,25,50,75,100
// RUN: attn-run %s --check --input=%t/out/arg0.npy --input=%t/out/arg1.npy --input=%t/out/arg2.npy --input=%t/equal.npy | FileCheck %s --check-prefix=CHECK-OK
// RUN: %python %S/../Integration/CPU/Inputs/make_npy.py %t/empty.npy 5 int32:0,25,25,75,100
// RUN: attn-run %s --check --input=%t/out/arg0.npy --input=%t/out/arg1.npy --input=%t/out/arg2.npy --input=%t/empty.npy | FileCheck %s --check-prefix=CHECK-OK
// DRAWN: @packed result #0 'o' tensor<1x100x2x8xf32>
// CHECK-OK: @packed result #0 'o' tensor<1x100x2x8xf32>: rel_err {{.*}} ok

// Offsets that are not a packing of T are rejected with what is wrong.
// RUN: %python %S/../Integration/CPU/Inputs/make_npy.py %t/float.npy 5 uniform:0:1:0
// RUN: not attn-run %s --input=%t/out/arg0.npy --input=%t/out/arg1.npy --input=%t/out/arg2.npy --input=%t/float.npy 2>&1 | FileCheck %s --check-prefix=FLOAT
// FLOAT: attn-run: error: input #3 ({{.*}}float.npy) is float32 but argument #3 of @packed is tensor<5xi32>; an int32 array is expected
// RUN: not attn-run %s --input=%t/out/arg3.npy --input=%t/out/arg1.npy --input=%t/out/arg2.npy --input=%t/out/arg3.npy 2>&1 | FileCheck %s --check-prefix=SHAPE
// SHAPE: attn-run: error: input #0 ({{.*}}arg3.npy) has shape [5] but argument #0 of @packed is tensor<1x100x2x16xf32>
// RUN: %python %S/../Integration/CPU/Inputs/make_npy.py %t/down.npy 5 int32:0,30,11,60,100
// RUN: not attn-run %s --input=%t/out/arg0.npy --input=%t/out/arg1.npy --input=%t/out/arg2.npy --input=%t/down.npy 2>&1 | FileCheck %s --check-prefix=DOWN
// DOWN: attn-run: error: input #3 ({{.*}}down.npy) is not valid 'cu_seqlens' of @packed: cu_seqlens must be non-decreasing, got 30 then 11 at index 2
// RUN: %python %S/../Integration/CPU/Inputs/make_npy.py %t/short.npy 5 int32:0,30,40,60,90
// RUN: not attn-run %s --input=%t/out/arg0.npy --input=%t/out/arg1.npy --input=%t/out/arg2.npy --input=%t/short.npy 2>&1 | FileCheck %s --check-prefix=SHORT
// SHORT: attn-run: error: input #3 ({{.*}}short.npy) is not valid 'cu_seqlens' of @packed: cu_seqlens must end at T = 100, got 90
// RUN: %python %S/../Integration/CPU/Inputs/make_npy.py %t/start.npy 5 int32:-1,30,40,60,100
// RUN: not attn-run %s --input=%t/out/arg0.npy --input=%t/out/arg1.npy --input=%t/out/arg2.npy --input=%t/start.npy 2>&1 | FileCheck %s --check-prefix=START
// START: attn-run: error: input #3 ({{.*}}start.npy) is not valid 'cu_seqlens' of @packed: cu_seqlens must start at 0, got -1

func.func @packed(%q: tensor<1x100x2x16xf32>, %k: tensor<1x100x2x16xf32>, %v: tensor<1x100x2x8xf32>, %cu: tensor<5xi32>) -> tensor<1x100x2x8xf32> {
  %o = attn.softmax_attention %q, %k, %v cu_seqlens(%cu) : (tensor<1x100x2x16xf32>, tensor<1x100x2x16xf32>, tensor<1x100x2x8xf32>, tensor<5xi32>) -> tensor<1x100x2x8xf32>
  return %o : tensor<1x100x2x8xf32>
}
