// attn as a plugin of the stock mlir-opt of the MLIR installation: the
// dialect from --load-dialect-plugin, passes and pipelines from
// --load-pass-plugin, run through --pass-pipeline (pass flags are parsed
// before plugins load, so `--attn-...` options are not available).
// An instrumented plugin cannot load into the uninstrumented mlir-opt.
// UNSUPPORTED: sanitizers

// RUN: mlir-opt %s --load-dialect-plugin=%attn_plugin --load-pass-plugin=%attn_plugin \
// RUN:   --pass-pipeline="builtin.module(attn-lower-to-reference)" | FileCheck %s
// RUN: mlir-opt %s --load-dialect-plugin=%attn_plugin --load-pass-plugin=%attn_plugin \
// RUN:   --pass-pipeline="builtin.module(attn-select{form=reassociated})" \
// RUN:   | FileCheck %s --check-prefix=SELECT
// RUN: mlir-opt %s --load-dialect-plugin=%attn_plugin --load-pass-plugin=%attn_plugin \
// RUN:   --pass-pipeline="builtin.module(attn-to-llvm{target=x86-avx2})" \
// RUN:   | FileCheck %s --check-prefix=LLVM

// The reference lowering of non-causal linear attention: S = sum_t k_t v_t^T,
// then o = q S, no loop over t.
// CHECK-LABEL: func.func @linear
// CHECK-NOT:     attn.
// CHECK-NOT:     scf.for
// CHECK:         linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK:         linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK:         return

// SELECT: attn.linear_attention {{.*}}form = #attn.form<reassociated>

// LLVM-LABEL: llvm.func @linear
// LLVM-NOT:     attn.
func.func @linear(%q: tensor<1x7x2x16xf32>, %k: tensor<1x7x2x16xf32>, %v: tensor<1x7x2x8xf32>) -> tensor<1x7x2x8xf32> {
  %o = attn.linear_attention %q, %k, %v {causal = false} : (tensor<1x7x2x16xf32>, tensor<1x7x2x16xf32>, tensor<1x7x2x8xf32>) -> tensor<1x7x2x8xf32>
  return %o : tensor<1x7x2x8xf32>
}
