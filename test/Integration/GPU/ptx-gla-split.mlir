// Gated linear attention (a vector gate) compiles to its split form where
// Dk splits into 64-row blocks: a state pass (states_kernel) keeping the state
// in mma accumulators, and an output kernel parallel over chunks whose
// intra-chunk scores run on the tensor cores by 16-row sub-blocks; other head
// dims keep the fused kernel. bench/gpu/gen_kernels.py adds these to the GPU
// check set (names with "strong"/"extreme" get strong log-decays there).
// The split form is the default; --split-vector-gate=false keeps the fused
// kernel.
// RUN: rm -rf %t
// RUN: attn-gpu-compile %s --target=sm_90 -o %t/sm90 | FileCheck %s
// RUN: attn-gpu-compile %s --target=sm_80 -o %t/sm80
// RUN: attn-gpu-compile %s --target=sm_90 --split-vector-gate=false -o %t/off
// RUN: FileCheck %s --check-prefix=OFF < %t/off/gla_split_state.json
// RUN: FileCheck %s --check-prefix=SPLIT < %t/sm90/gla_split_state.ptx
// RUN: FileCheck %s --check-prefix=FUSED < %t/sm90/gla_fused_d48.ptx
// RUN: FileCheck %s --check-prefix=JSON < %t/sm90/gla_split_gqa.json
// RUN: %if ptxas %{ %python %S/assemble.py %ptxas sm_90a %t/sm90 %}
// RUN: %if ptxas %{ %python %S/assemble.py %ptxas sm_80 %t/sm80 %}

// CHECK-COUNT-8: {{.*}}.ptx, {{.*}}.json

// The state pass: per-dimension decays (ex2) around the K'^T V products.
// SPLIT: .visible .entry gla_split_state_states_kernel(
// SPLIT-DAG: ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16
// SPLIT-DAG: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// SPLIT-DAG: ex2.approx
// SPLIT: .visible .entry gla_split_state_kernel(
// The output kernel: the decayed key fragments packed in registers
// (cvt to bf16 pairs) feed the score mma; the warp-uniform spread check
// (a butterfly max) picks the elementwise diagonal for strong decays.
// SPLIT-DAG: cvt.rn.bf16x2.f32
// SPLIT-DAG: shfl.sync.bfly.b32
// SPLIT-DAG: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32

// OFF-NOT: states_kernel
// OFF:     "entry": "gla_split_state_kernel"
// OFF-NOT: states_kernel

// FUSED: .visible .entry gla_fused_d48_kernel(
// FUSED-NOT: states_kernel

// JSON:      "name": "chunk_states"
// JSON-NEXT: "role": "scratch"
// The state pass: Dv in blocks of 32 (the narrowest), Dk in blocks of 64.
// JSON:      "entry": "gla_split_gqa_states_kernel"
// JSON-NEXT: "grid": [
// JSON-NEXT:   2,
// JSON-NEXT:   8,
// JSON-NEXT:   2
// The outputs: a block per (64 value columns, batch * head, chunk).
// JSON:      "entry": "gla_split_gqa_kernel"
// JSON-NEXT: "grid": [
// JSON-NEXT:   1,
// JSON-NEXT:   8,
// JSON-NEXT:   2
// JSON:      "op": "gated_linear_attention"

func.func @gla_split_state(%q: tensor<1x130x2x128xbf16>, %k: tensor<1x130x2x128xbf16>, %v: tensor<1x130x2x128xbf16>, %g: tensor<1x130x2x128xf32>, %s0: tensor<1x2x128x128xf32>) -> (tensor<1x130x2x128xbf16>, tensor<1x2x128x128xf32>) {
  %o, %s = attn.gated_linear_attention %q, %k, %v, %g initial_state(%s0) : (tensor<1x130x2x128xbf16>, tensor<1x130x2x128xbf16>, tensor<1x130x2x128xbf16>, tensor<1x130x2x128xf32>, tensor<1x2x128x128xf32>) -> (tensor<1x130x2x128xbf16>, tensor<1x2x128x128xf32>)
  return %o, %s : tensor<1x130x2x128xbf16>, tensor<1x2x128x128xf32>
}
func.func @gla_split_t1(%q: tensor<2x1x2x64xbf16>, %k: tensor<2x1x2x64xbf16>, %v: tensor<2x1x2x64xbf16>, %g: tensor<2x1x2x64xf32>) -> (tensor<2x1x2x64xbf16>, tensor<2x2x64x64xf32>) {
  %o, %s = attn.gated_linear_attention %q, %k, %v, %g : (tensor<2x1x2x64xbf16>, tensor<2x1x2x64xbf16>, tensor<2x1x2x64xbf16>, tensor<2x1x2x64xf32>) -> (tensor<2x1x2x64xbf16>, tensor<2x2x64x64xf32>)
  return %o, %s : tensor<2x1x2x64xbf16>, tensor<2x2x64x64xf32>
}
func.func @gla_split_strong(%q: tensor<1x200x2x128xbf16>, %k: tensor<1x200x2x128xbf16>, %v: tensor<1x200x2x128xbf16>, %g: tensor<1x200x2x128xf32>) -> (tensor<1x200x2x128xbf16>, tensor<1x2x128x128xf32>) {
  %o, %s = attn.gated_linear_attention %q, %k, %v, %g : (tensor<1x200x2x128xbf16>, tensor<1x200x2x128xbf16>, tensor<1x200x2x128xbf16>, tensor<1x200x2x128xf32>) -> (tensor<1x200x2x128xbf16>, tensor<1x2x128x128xf32>)
  return %o, %s : tensor<1x200x2x128xbf16>, tensor<1x2x128x128xf32>
}
func.func @gla_split_extreme(%q: tensor<1x100x2x64xbf16>, %k: tensor<1x100x2x64xbf16>, %v: tensor<1x100x2x128xbf16>, %g: tensor<1x100x2x64xf32>) -> tensor<1x100x2x128xbf16> {
  %o = attn.gated_linear_attention %q, %k, %v, %g : (tensor<1x100x2x64xbf16>, tensor<1x100x2x64xbf16>, tensor<1x100x2x128xbf16>, tensor<1x100x2x64xf32>) -> tensor<1x100x2x128xbf16>
  return %o : tensor<1x100x2x128xbf16>
}
func.func @gla_split_gqa(%q: tensor<2x90x4x128xbf16>, %k: tensor<2x90x2x128xbf16>, %v: tensor<2x90x2x64xbf16>, %g: tensor<2x90x4x128xf32>, %s0: tensor<2x4x128x64xf32>) -> (tensor<2x90x4x64xbf16>, tensor<2x4x128x64xf32>) {
  %o, %s = attn.gated_linear_attention %q, %k, %v, %g initial_state(%s0) : (tensor<2x90x4x128xbf16>, tensor<2x90x2x128xbf16>, tensor<2x90x2x64xbf16>, tensor<2x90x4x128xf32>, tensor<2x4x128x64xf32>) -> (tensor<2x90x4x64xbf16>, tensor<2x4x128x64xf32>)
  return %o, %s : tensor<2x90x4x64xbf16>, tensor<2x4x128x64xf32>
}
func.func @gla_split_f32(%q: tensor<1x64x2x64xf32>, %k: tensor<1x64x2x64xf32>, %v: tensor<1x64x2x64xf32>, %g: tensor<1x64x2x64xf32>) -> tensor<1x64x2x64xf32> {
  %o = attn.gated_linear_attention %q, %k, %v, %g : (tensor<1x64x2x64xf32>, tensor<1x64x2x64xf32>, tensor<1x64x2x64xf32>, tensor<1x64x2x64xf32>) -> tensor<1x64x2x64xf32>
  return %o : tensor<1x64x2x64xf32>
}
func.func @gla_fused_d48(%q: tensor<1x77x2x48xbf16>, %k: tensor<1x77x2x48xbf16>, %v: tensor<1x77x2x64xbf16>, %g: tensor<1x77x2x48xf32>, %s0: tensor<1x2x48x64xf32>) -> (tensor<1x77x2x64xbf16>, tensor<1x2x48x64xf32>) {
  %o, %s = attn.gated_linear_attention %q, %k, %v, %g initial_state(%s0) : (tensor<1x77x2x48xbf16>, tensor<1x77x2x48xbf16>, tensor<1x77x2x64xbf16>, tensor<1x77x2x48xf32>, tensor<1x2x48x64xf32>) -> (tensor<1x77x2x64xbf16>, tensor<1x2x48x64xf32>)
  return %o, %s : tensor<1x77x2x64xbf16>, tensor<1x2x48x64xf32>
}
func.func @gla_fused_strong_d32(%q: tensor<1x100x2x32xbf16>, %k: tensor<1x100x2x32xbf16>, %v: tensor<1x100x2x32xbf16>, %g: tensor<1x100x2x32xf32>) -> (tensor<1x100x2x32xbf16>, tensor<1x2x32x32xf32>) {
  %o, %s = attn.gated_linear_attention %q, %k, %v, %g : (tensor<1x100x2x32xbf16>, tensor<1x100x2x32xbf16>, tensor<1x100x2x32xbf16>, tensor<1x100x2x32xf32>) -> (tensor<1x100x2x32xbf16>, tensor<1x2x32x32xf32>)
  return %o, %s : tensor<1x100x2x32xbf16>, tensor<1x2x32x32xf32>
}
