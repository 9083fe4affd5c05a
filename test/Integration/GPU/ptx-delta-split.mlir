// The delta rule's split form (the default; --split-delta=false keeps the
// fused kernel) at chunks of 64 (--chunk-size=64: these sequences are
// short enough for the cost model to pick smaller ones): a prep kernel parallel over
// chunks writing W = T diag(beta e^b) K and U = T diag(beta) V, a state pass
// carrying the state in mma accumulators (cp.async double buffering, V_new =
// U - W S per chunk), and the output kernel parallel over chunks. Every
// variant compiles to PTX that ptxas accepts for sm_90a and sm_80;
// bench/gpu/gen_kernels.py adds them to the GPU check set.
// RUN: rm -rf %t
// RUN: attn-gpu-compile %s --target=sm_90 --chunk-size=64 -o %t/sm90 | FileCheck %s
// RUN: attn-gpu-compile %s --target=sm_80 --chunk-size=64 -o %t/sm80
// RUN: FileCheck %s --check-prefix=PTX < %t/sm90/gdn_split_gqa.ptx
// RUN: FileCheck %s --check-prefix=JSON < %t/sm90/gdn_split_gqa.json
// RUN: FileCheck %s --check-prefix=F32 < %t/sm90/delta_split_f32.json
// RUN: FileCheck %s --check-prefix=GF32 < %t/sm90/gdn_split_f32.json
// RUN: FileCheck %s --check-prefix=FUSED < %t/sm90/delta_split_d256.json
// RUN: %if ptxas %{ %python %S/assemble.py %ptxas sm_90a %t/sm90 %}
// RUN: %if ptxas %{ %python %S/assemble.py %ptxas sm_80 %t/sm80 %}
// RUN: FileCheck %s --check-prefix=AUTO < %t/sm90/delta_split_bv32.json
// RUN: attn-gpu-compile %s --target=sm_90 --chunk-size=64 --fuse-outputs=on -o %t/fused
// RUN: FileCheck %s --check-prefix=DFUSED < %t/fused/gdn_split_gqa.json
// RUN: FileCheck %s --check-prefix=GF32 < %t/fused/gdn_split_f32.json
// RUN: %if ptxas %{ %python %S/assemble.py %ptxas sm_90a %t/fused %}

// CHECK-COUNT-9: {{.*}}.ptx, {{.*}}.json

// The prep kernel's W and U products; the state pass's copies of the next
// chunk (16-byte tiles, 4-byte gates), its per-warp gate scan, and its two
// products per chunk.
// PTX: .visible .entry gdn_split_gqa_prep_kernel(
// PTX: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// PTX: .visible .entry gdn_split_gqa_states_kernel(
// PTX-DAG: cp.async.cg.shared.global [{{.*}}], [{{.*}}], 16, {{%r[0-9]+}};
// PTX-DAG: cp.async.ca.shared.global [{{.*}}], [{{.*}}], 4, {{%r[0-9]+}};
// PTX-DAG: cp.async.wait_group 0;
// PTX-DAG: shfl.sync.up.b32
// PTX-DAG: ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// PTX: .visible .entry gdn_split_gqa_kernel(
// PTX: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32

// bf16 keys are copied as they are and decayed in the state pass (no
// k_update); three launches.
// JSON: "name": "chunk_states"
// JSON: "name": "w"
// JSON: "name": "u"
// JSON: "name": "v_new"
// JSON-NOT: "name": "k_update"
// JSON: "entry": "gdn_split_gqa_prep_kernel"
// JSON: "entry": "gdn_split_gqa_states_kernel"
// JSON: "entry": "gdn_split_gqa_kernel"

// f32 keys cannot be copied with cp.async: k_update (decayed by the prep
// kernel where there is a gate).
// F32: "name": "k_update"
// F32: "entry": "delta_split_f32_states_kernel"
// fuse-outputs: with bf16 keys the state pass computes the outputs too
// (after the prep kernel; no chunk_states, no v_new), by default (auto)
// where B * H * Dv / 32 blocks are three quarters of the SMs (4 x 16 heads
// here); f32 keys (k_update) keep the split form.
// AUTO-NOT: "name": "v_new"
// AUTO: "entry": "delta_split_bv32_prep_kernel"
// AUTO: "entry": "delta_split_bv32_kernel"
// AUTO-NEXT: "grid": [
// AUTO-NEXT: 2,
// AUTO-NEXT: 64,
// AUTO: "what": "delta rule state pass with outputs
// DFUSED-NOT: "name": "chunk_states"
// DFUSED-NOT: "name": "v_new"
// DFUSED: "entry": "gdn_split_gqa_prep_kernel"
// DFUSED: "entry": "gdn_split_gqa_kernel"
// DFUSED: "what": "delta rule state pass with outputs
// GF32: "name": "k_update"
// GF32: "entry": "gdn_split_f32_states_kernel"

// Dk = 256 does not fit one block's accumulators: the fused kernel.
// FUSED: "name": "t_beta"
// FUSED-NOT: states_kernel

// T not a multiple of the chunk, initial and final state, Dk = Dv = 128.
func.func @delta_split_state(%q: tensor<2x300x2x128xbf16>, %k: tensor<2x300x2x128xbf16>, %v: tensor<2x300x2x128xbf16>, %beta: tensor<2x300x2xbf16>, %s0: tensor<2x2x128x128xf32>) -> (tensor<2x300x2x128xbf16>, tensor<2x2x128x128xf32>) {
  %r0, %r1 = attn.delta_rule %q, %k, %v, %beta initial_state(%s0) : (tensor<2x300x2x128xbf16>, tensor<2x300x2x128xbf16>, tensor<2x300x2x128xbf16>, tensor<2x300x2xbf16>, tensor<2x2x128x128xf32>) -> (tensor<2x300x2x128xbf16>, tensor<2x2x128x128xf32>)
  return %r0, %r1 : tensor<2x300x2x128xbf16>, tensor<2x2x128x128xf32>
}

// Gated, GQA, final state.
func.func @gdn_split_gqa(%q: tensor<1x200x4x128xbf16>, %k: tensor<1x200x2x128xbf16>, %v: tensor<1x200x2x128xbf16>, %beta: tensor<1x200x4xbf16>, %g: tensor<1x200x4xf32>) -> (tensor<1x200x4x128xbf16>, tensor<1x4x128x128xf32>) {
  %r0, %r1 = attn.delta_rule %q, %k, %v, %beta gate(%g) : (tensor<1x200x4x128xbf16>, tensor<1x200x2x128xbf16>, tensor<1x200x2x128xbf16>, tensor<1x200x4xbf16>, tensor<1x200x4xf32>) -> (tensor<1x200x4x128xbf16>, tensor<1x4x128x128xf32>)
  return %r0, %r1 : tensor<1x200x4x128xbf16>, tensor<1x4x128x128xf32>
}

// Gated, D = 64, T = 1, initial and final state.
func.func @gdn_split_t1(%q: tensor<2x1x2x64xbf16>, %k: tensor<2x1x2x64xbf16>, %v: tensor<2x1x2x64xbf16>, %beta: tensor<2x1x2xbf16>, %g: tensor<2x1x2xf32>, %s0: tensor<2x2x64x64xf32>) -> (tensor<2x1x2x64xbf16>, tensor<2x2x64x64xf32>) {
  %r0, %r1 = attn.delta_rule %q, %k, %v, %beta gate(%g) initial_state(%s0) : (tensor<2x1x2x64xbf16>, tensor<2x1x2x64xbf16>, tensor<2x1x2x64xbf16>, tensor<2x1x2xbf16>, tensor<2x1x2xf32>, tensor<2x2x64x64xf32>) -> (tensor<2x1x2x64xbf16>, tensor<2x2x64x64xf32>)
  return %r0, %r1 : tensor<2x1x2x64xbf16>, tensor<2x2x64x64xf32>
}

// Gated, D = 64, T a multiple of the chunk, final state.
func.func @gdn_split_d64(%q: tensor<1x256x3x64xbf16>, %k: tensor<1x256x3x64xbf16>, %v: tensor<1x256x3x64xbf16>, %beta: tensor<1x256x3xbf16>, %g: tensor<1x256x3xf32>) -> (tensor<1x256x3x64xbf16>, tensor<1x3x64x64xf32>) {
  %r0, %r1 = attn.delta_rule %q, %k, %v, %beta gate(%g) : (tensor<1x256x3x64xbf16>, tensor<1x256x3x64xbf16>, tensor<1x256x3x64xbf16>, tensor<1x256x3xbf16>, tensor<1x256x3xf32>) -> (tensor<1x256x3x64xbf16>, tensor<1x3x64x64xf32>)
  return %r0, %r1 : tensor<1x256x3x64xbf16>, tensor<1x3x64x64xf32>
}

// f32 inputs and output, no gate.
func.func @delta_split_f32(%q: tensor<1x130x2x64xf32>, %k: tensor<1x130x2x64xf32>, %v: tensor<1x130x2x64xf32>, %beta: tensor<1x130x2xf32>) -> tensor<1x130x2x64xf32> {
  %r0 = attn.delta_rule %q, %k, %v, %beta : (tensor<1x130x2x64xf32>, tensor<1x130x2x64xf32>, tensor<1x130x2x64xf32>, tensor<1x130x2xf32>) -> tensor<1x130x2x64xf32>
  return %r0 : tensor<1x130x2x64xf32>
}

// D = 256 stays on the fused kernel.
func.func @delta_split_d256(%q: tensor<1x70x1x256xbf16>, %k: tensor<1x70x1x256xbf16>, %v: tensor<1x70x1x256xbf16>, %beta: tensor<1x70x1xbf16>) -> tensor<1x70x1x256xbf16> {
  %r0 = attn.delta_rule %q, %k, %v, %beta : (tensor<1x70x1x256xbf16>, tensor<1x70x1x256xbf16>, tensor<1x70x1x256xbf16>, tensor<1x70x1xbf16>) -> tensor<1x70x1x256xbf16>
  return %r0 : tensor<1x70x1x256xbf16>
}

// Gated with an initial state at B * H = 144: 64-column blocks in the state
// pass.
func.func @gdn_split_bv64(%q: tensor<9x130x16x128xbf16>, %k: tensor<9x130x16x128xbf16>, %v: tensor<9x130x16x128xbf16>, %beta: tensor<9x130x16xbf16>, %g: tensor<9x130x16xf32>, %s0: tensor<9x16x128x128xf32>) -> (tensor<9x130x16x128xbf16>, tensor<9x16x128x128xf32>) {
  %r0, %r1 = attn.delta_rule %q, %k, %v, %beta gate(%g) initial_state(%s0) : (tensor<9x130x16x128xbf16>, tensor<9x130x16x128xbf16>, tensor<9x130x16x128xbf16>, tensor<9x130x16xbf16>, tensor<9x130x16xf32>, tensor<9x16x128x128xf32>) -> (tensor<9x130x16x128xbf16>, tensor<9x16x128x128xf32>)
  return %r0, %r1 : tensor<9x130x16x128xbf16>, tensor<9x16x128x128xf32>
}

// No gate at B * H = 64: 32-column blocks.
func.func @delta_split_bv32(%q: tensor<4x70x16x128xbf16>, %k: tensor<4x70x16x128xbf16>, %v: tensor<4x70x16x128xbf16>, %beta: tensor<4x70x16xbf16>) -> (tensor<4x70x16x128xbf16>, tensor<4x16x128x128xf32>) {
  %r0, %r1 = attn.delta_rule %q, %k, %v, %beta : (tensor<4x70x16x128xbf16>, tensor<4x70x16x128xbf16>, tensor<4x70x16x128xbf16>, tensor<4x70x16xbf16>) -> (tensor<4x70x16x128xbf16>, tensor<4x16x128x128xf32>)
  return %r0, %r1 : tensor<4x70x16x128xbf16>, tensor<4x16x128x128xf32>
}

// Gated with f32 inputs: the prep kernel's decayed keys, T not a multiple of
// the chunk.
func.func @gdn_split_f32(%q: tensor<1x130x2x64xf32>, %k: tensor<1x130x2x64xf32>, %v: tensor<1x130x2x64xf32>, %beta: tensor<1x130x2xf32>, %g: tensor<1x130x2xf32>) -> tensor<1x130x2x64xf32> {
  %r = attn.delta_rule %q, %k, %v, %beta gate(%g) : (tensor<1x130x2x64xf32>, tensor<1x130x2x64xf32>, tensor<1x130x2x64xf32>, tensor<1x130x2xf32>, tensor<1x130x2xf32>) -> tensor<1x130x2x64xf32>
  return %r : tensor<1x130x2x64xf32>
}
