// RUN: attn-opt %s --attn-select-form=explain --attn-select-chunk=explain --mlir-print-op-on-diagnostic=false -o /dev/null 2>&1 | FileCheck %s

// Explain mode lists every applicable form with its estimate, then the
// choice and why; chunk selection lists the candidate chunk sizes.
// CHECK: remark: attn-select-form on x86-avx512: chunkwise(C={{[0-9]+}}) {{.*}} steps; {{.*}}]; recurrent {{.*}}; quadratic {{.*}}; chosen: chunkwise (cheapest estimate)
// CHECK: remark: attn-select-form on x86-avx512: {{.*}}chosen: recurrent (set on the op)
// CHECK: remark: attn-select-chunk on x86-avx512: chunkwise(C={{[0-9]+}}) {{.*}}; chosen: C={{[0-9]+}}
func.func @explain(%q: tensor<1x4096x8x64xf32>, %k: tensor<1x4096x8x64xf32>, %v: tensor<1x4096x8x64xf32>, %b: tensor<1x4096x8xf32>) -> (tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>) {
  %o = attn.delta_rule %q, %k, %v, %b : (tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>, tensor<1x4096x8xf32>) -> tensor<1x4096x8x64xf32>
  %p = attn.delta_rule %q, %k, %v, %b {form = #attn.form<recurrent>} : (tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>, tensor<1x4096x8xf32>) -> tensor<1x4096x8x64xf32>
  return %o, %p : tensor<1x4096x8x64xf32>, tensor<1x4096x8x64xf32>
}
