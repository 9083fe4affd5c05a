// The split form of linear and scalar-gated attention (state pass, then the
// output kernel parallel over chunks) with --split-cp-async, in the
// variants its tile loads take: bf16 inputs come by cp.async (the state
// pass through a ring of chunks, the output kernel in two commit groups),
// f16 and f32 ones by synchronous loads that convert; grouped heads, a
// feature map, T a multiple of the chunk and not, initial and final
// states. The same functions compile without it too (the default path).
// RUN: rm -rf %t
// RUN: attn-gpu-compile %s --target=sm_90 --split-cp-async -o %t | FileCheck %s
// RUN: attn-gpu-compile %s --target=sm_90 -o %t/sync
// RUN: FileCheck %s --check-prefix=GATED < %t/sgla_gqa_state.ptx
// RUN: FileCheck %s --check-prefix=GATEDJSON < %t/sgla_gqa_state.json
// RUN: FileCheck %s --check-prefix=F16 < %t/linear_gqa_f16.ptx
// RUN: %if ptxas %{ %python %S/assemble.py %ptxas sm_90a %t %}
// RUN: %if ptxas %{ %python %S/assemble.py %ptxas sm_90a %t/sync %}
// RUN: attn-gpu-compile %s --target=sm_90 --state-rows=128 --block-v=64 -o %t/rows128
// RUN: FileCheck %s --check-prefix=ROWS < %t/rows128/sgla_gqa_state.json
// RUN: FileCheck %s --check-prefix=ROWSPTX < %t/rows128/sgla_gqa_state.ptx
// RUN: %if ptxas %{ %python %S/assemble.py %ptxas sm_90a %t/rows128 %}
// RUN: attn-gpu-compile %s --target=sm_90 --fuse-outputs=on -o %t/fused
// RUN: FileCheck %s --check-prefix=FUSEDOUT < %t/fused/sgla_gqa_state.json
// RUN: FileCheck %s --check-prefix=FUSEDRELU < %t/fused/linear_relu_t64.json
// RUN: %if ptxas %{ %python %S/assemble.py %ptxas sm_90a %t/fused %}

// CHECK-COUNT-3: {{.*}}.ptx, {{.*}}.json

// The state pass (B * H = 8: blocks of 32 value columns, the narrowest, 64
// in all, at most one an SM, room for 4 ring slots): chunks 0..2 are issued
// before the loop, each one commit group of 16-byte copies (zero fill past
// T) and 4-byte copies of the gates; each iteration waits for chunk n (2
// younger groups may stay in flight), passes one barrier, issues chunk n + 3
// and computes chunk n.
// GATED:         .visible .entry sgla_gqa_state_states_kernel(
// GATED:         cp.async.cg.shared.global [{{.*}}], [{{.*}}], 16, {{.*}};
// GATED:         cp.async.ca.shared.global [{{.*}}], [{{.*}}], 4, {{.*}};
// GATED-COUNT-3: cp.async.commit_group;
// GATED:         shfl.sync.up.b32
// GATED:         mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// GATED:         cp.async.wait_group 2;
// GATED-NEXT:    bar.sync 0;
// GATED:         cp.async.wait_group 0;
// The output kernel: Q and K, then the state and V, as two groups; Q K^T
// once the first has landed, Q S once the second has; the outputs go out
// as pairs of bf16.
// GATED:         .visible .entry sgla_gqa_state_kernel(
// GATED-COUNT-2: cp.async.commit_group;
// GATED:         cp.async.wait_group 1;
// GATED-NEXT:    bar.sync 0;
// GATED:         mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// GATED:         cp.async.wait_group 0;
// GATED-NEXT:    bar.sync 0;
// GATED:         mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// GATED:         st.global.b32

// GATEDJSON:      "entry": "sgla_gqa_state_states_kernel"
// GATEDJSON-NEXT: "grid": [
// GATEDJSON-NEXT:   4,
// GATEDJSON-NEXT:   8,
// GATEDJSON-NEXT:   2
// GATEDJSON:      "shared_bytes": 58496

// --state-rows=128: a state-pass block holds all 128 rows of Dk (two
// 16-row tiles a warp), so the grid has one block of rows (z = 1); the
// ring's K slots are 128 columns wide.
// ROWS:      "entry": "sgla_gqa_state_states_kernel"
// ROWS-NEXT: "grid": [
// ROWS-NEXT:   2,
// ROWS-NEXT:   8,
// ROWS-NEXT:   1
// ROWS:      "what": "split form (cp.async, a ring of {{[0-9]}} chunks), state pass: sequential over 4 chunks of 64, 128 x 64 state slices in mma accumulators"
// The state goes out 16 bytes a lane.
// ROWSPTX:   .visible .entry sgla_gqa_state_states_kernel(
// ROWSPTX:   st.global.v4.b32

// --fuse-outputs: one kernel, the state pass computing each chunk's
// outputs, no chunk_states; a feature map keeps the split form.
// FUSEDOUT-NOT: chunk_states
// FUSEDOUT:     "entry": "sgla_gqa_state_kernel"
// FUSEDOUT:     "what": "state pass with outputs (cp.async, a ring of {{[0-9]}} chunks): sequential over 4 chunks of 64, 128 x 32 state slices in mma accumulators"
// FUSEDOUT-NOT: "entry"
// FUSEDRELU:    "name": "chunk_states"
// FUSEDRELU:    "entry": "linear_relu_t64_states_kernel"

// f16 inputs: synchronous loads (no cp.async of the tiles; the state tile
// of the output kernel is bf16 scratch and still copies).
// F16:     .visible .entry linear_gqa_f16_states_kernel(
// F16-NOT: cp.async
// F16:     mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// F16:     .visible .entry linear_gqa_f16_kernel(

func.func @sgla_gqa_state(%q: tensor<2x200x4x128xbf16>, %k: tensor<2x200x2x128xbf16>, %v: tensor<2x200x2x128xbf16>, %g: tensor<2x200x4xf32>, %s0: tensor<2x4x128x128xf32>) -> (tensor<2x200x4x128xbf16>, tensor<2x4x128x128xf32>) {
  %o, %s = attn.gated_linear_attention %q, %k, %v, %g initial_state(%s0) : (tensor<2x200x4x128xbf16>, tensor<2x200x2x128xbf16>, tensor<2x200x2x128xbf16>, tensor<2x200x4xf32>, tensor<2x4x128x128xf32>) -> (tensor<2x200x4x128xbf16>, tensor<2x4x128x128xf32>)
  return %o, %s : tensor<2x200x4x128xbf16>, tensor<2x4x128x128xf32>
}

func.func @linear_gqa_f16(%q: tensor<1x150x4x64xf16>, %k: tensor<1x150x2x64xf16>, %v: tensor<1x150x2x64xf16>, %s0: tensor<1x4x64x64xf32>) -> (tensor<1x150x4x64xf16>, tensor<1x4x64x64xf32>) {
  %o, %s = attn.linear_attention %q, %k, %v initial_state(%s0) : (tensor<1x150x4x64xf16>, tensor<1x150x2x64xf16>, tensor<1x150x2x64xf16>, tensor<1x4x64x64xf32>) -> (tensor<1x150x4x64xf16>, tensor<1x4x64x64xf32>)
  return %o, %s : tensor<1x150x4x64xf16>, tensor<1x4x64x64xf32>
}

func.func @linear_relu_t64(%q: tensor<1x64x2x128xbf16>, %k: tensor<1x64x2x128xbf16>, %v: tensor<1x64x2x128xbf16>) -> tensor<1x64x2x128xbf16> {
  %o = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<relu>} : (tensor<1x64x2x128xbf16>, tensor<1x64x2x128xbf16>, tensor<1x64x2x128xbf16>) -> tensor<1x64x2x128xbf16>
  return %o : tensor<1x64x2x128xbf16>
}
