// RUN: attn-opt %s -attn-lower-to-gpu="split-cp-async=false split-delta=false" -split-input-file | FileCheck %s
// RUN: attn-opt %s -attn-lower-to-gpu=split-state=false -split-input-file | FileCheck %s --check-prefix=FUSED
// RUN: attn-opt %s -attn-lower-to-gpu -split-input-file | FileCheck %s --check-prefix=ASYNC

// A linear-attention function becomes a gpu.module of the same name; each
// kernel takes a bare buffer per argument and result, then the scratch; the
// products run on the tensor cores (ldmatrix + mma.sync bf16) from dynamic
// shared memory. With Dk = 64 it is the split form: a state pass (grid: 2
// blocks of 32 value columns, the narrowest, since B * H = 2 leaves SMs
// idle, x 2 heads x 1 block of 64 key rows) writing the state entering each of the 2 chunks to
// chunk_states [B * H, N * Dk, 1, Dv], then the output kernel, a block per
// (64 value columns, head, chunk).
// CHECK-LABEL: module attributes
// CHECK-SAME: attn.gpu_manifests = {linear = {
// CHECK-SAME: block_v = 16 : i64, causal = true, chunk_size = 64
// CHECK-SAME: gate = "none"
// CHECK-SAME: {dtype = "bf16", name = "q", role = "input", shape = [1, 100, 2, 64]}
// CHECK-SAME: {dtype = "bf16", name = "o", role = "output", shape = [1, 100, 2, 64]}
// CHECK-SAME: {dtype = "bf16", name = "chunk_states", role = "scratch", shape = [2, 128, 1, 64]}
// CHECK-SAME: launches = [{args = [0, 1, 2, 3, 4], block = [128, 1, 1], entry = "linear_states_kernel", grid = [2, 2, 1], shared_bytes = {{[0-9]+}}
// CHECK-SAME: {args = [0, 1, 2, 3, 4], block = [128, 1, 1], entry = "linear_kernel", grid = [1, 2, 2], shared_bytes = {{[0-9]+}}
// CHECK-SAME: op = "linear_attention", ptx = "linear.ptx", target = "sm_90a"
// CHECK-SAME: gpu.container_module
// CHECK-NOT: func.func
// CHECK: gpu.module @linear
// The state pass: the state stays in mma accumulators across the chunk
// loop, whose next chunk's loads are issued before this chunk's products.
// CHECK: gpu.func @linear_states_kernel(%{{.*}}: memref<1x100x2x64xbf16>, %{{.*}}: memref<1x100x2x64xbf16>, %{{.*}}: memref<1x100x2x64xbf16>, %{{.*}}: memref<1x100x2x64xbf16>, %{{.*}}: memref<2x128x1x64xbf16>) kernel
// CHECK-SAME: known_block_size = array<i32: 128, 1, 1>
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (f32, f32,
// CHECK:   vector.load
// CHECK:   nvgpu.ldmatrix {{.*}} {numTiles = 4 : i32, transpose = true}
// CHECK:   nvvm.mma.sync {{.*}} multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>
// CHECK:   gpu.barrier
// CHECK:   scf.yield
// With split-cp-async (the default), K and V come through a ring of 4 chunks (a commit
// group of cp.async copies each, 3 issued before the loop): chunk n is
// waited for, then chunk n + 3 issued, before chunk n's products; one
// barrier a chunk.
// ASYNC: gpu.func @linear_states_kernel
// ASYNC-COUNT-3: nvgpu.device_async_create_group
// ASYNC: scf.for {{.*}} iter_args({{.*}}) -> (f32, f32,
// ASYNC:   nvgpu.device_async_wait %{{.*}} {numGroups = 2 : i32}
// ASYNC:   gpu.barrier
// ASYNC:   nvgpu.device_async_copy {{.*}} {bypassL1}
// ASYNC:   nvgpu.device_async_create_group
// ASYNC:   gpu.shuffle idx
// ASYNC:   vector.store {{.*}} vector<8xbf16>
// ASYNC:   nvgpu.ldmatrix {{.*}} {numTiles = 4 : i32, transpose = true}
// ASYNC:   nvvm.mma.sync
// ASYNC-NOT: gpu.barrier
// ASYNC:   scf.yield
// ASYNC: nvgpu.device_async_wait %{{.*}} {numGroups = 0 : i32}
// ASYNC: gpu.func @linear_kernel
// ASYNC: nvgpu.device_async_wait %{{.*}} {numGroups = 1 : i32}
// ASYNC: nvgpu.device_async_wait %{{.*}} {numGroups = 0 : i32}
// CHECK: gpu.func @linear_kernel
// CHECK: gpu.dynamic_shared_memory
// CHECK: nvvm.mma.sync
// FUSED-LABEL: module attributes
// FUSED-SAME: launches = [{args = [0, 1, 2, 3], block = [128, 1, 1], entry = "linear_kernel", grid = [4, 2, 1]
// FUSED-NOT: chunk_states
// FUSED: gpu.func @linear_kernel
func.func @linear(%q: tensor<1x100x2x64xbf16>, %k: tensor<1x100x2x64xbf16>,
                  %v: tensor<1x100x2x64xbf16>) -> tensor<1x100x2x64xbf16> {
  %o = attn.linear_attention %q, %k, %v
      : (tensor<1x100x2x64xbf16>, tensor<1x100x2x64xbf16>,
         tensor<1x100x2x64xbf16>) -> tensor<1x100x2x64xbf16>
  return %o : tensor<1x100x2x64xbf16>
}

// -----

// The delta rule with a gate, an initial and a final state. Fused
// (split-delta=false): two kernels. The first, parallel over (chunk, batch *
// head), solves each chunk's UT transform into the scratch buffers; the
// second walks the chunks. Buffers follow the function's arguments, then its
// results, then the scratch; a Dv of 128 is split over two blocks of 64
// columns. By default the split form: the prep kernel also writes W and U,
// the state pass holds the state in mma accumulators (and decays the bf16
// keys itself), the outputs are parallel over chunks.
// ASYNC: {dtype = "bf16", name = "w", role = "scratch", shape = [6, 64, 1, 128]}
// ASYNC-NOT: k_update
// ASYNC-SAME: entry = "gdn_prep_kernel"
// ASYNC-SAME: entry = "gdn_states_kernel"
// ASYNC-SAME: entry = "gdn_kernel"
// CHECK-LABEL: module attributes
// CHECK-SAME: block_v = 64
// CHECK-SAME: chunk_size = 64
// CHECK-SAME: gate = "scalar"
// CHECK-SAME: name = "beta", role = "input"
// CHECK-SAME: name = "g", role = "input"
// CHECK-SAME: name = "initial_state", role = "input"
// CHECK-SAME: name = "o", role = "output"
// CHECK-SAME: name = "final_state", role = "output"
// CHECK-SAME: {dtype = "bf16", name = "t_beta", role = "scratch", shape = [6, 64, 1, 64]}
// CHECK-SAME: {dtype = "bf16", name = "t_beta_decay", role = "scratch", shape = [6, 64, 1, 64]}
// CHECK-SAME: launches = [{args = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], block = [128, 1, 1], entry = "gdn_prep_kernel", grid = [1, 6, 1]
// CHECK-SAME: {args = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], block = [128, 1, 1], entry = "gdn_kernel", grid = [2, 6, 1]
// CHECK-SAME: op = "delta_rule"
// CHECK: gpu.func @gdn_prep_kernel
// CHECK: gpu.func @gdn_kernel
func.func @gdn(%q: tensor<2x50x3x128xbf16>, %k: tensor<2x50x3x128xbf16>,
               %v: tensor<2x50x3x128xbf16>, %beta: tensor<2x50x3xbf16>,
               %g: tensor<2x50x3xf32>, %s0: tensor<2x3x128x128xf32>)
    -> (tensor<2x50x3x128xbf16>, tensor<2x3x128x128xf32>) {
  %o, %s = attn.delta_rule %q, %k, %v, %beta gate(%g) initial_state(%s0)
      : (tensor<2x50x3x128xbf16>, tensor<2x50x3x128xbf16>,
         tensor<2x50x3x128xbf16>, tensor<2x50x3xbf16>, tensor<2x50x3xf32>,
         tensor<2x3x128x128xf32>)
      -> (tensor<2x50x3x128xbf16>, tensor<2x3x128x128xf32>)
  return %o, %s : tensor<2x50x3x128xbf16>, tensor<2x3x128x128xf32>
}

// -----

// Softmax attention: one block per 128 queries (4 warps of 32 rows; 64
// where Dv > 128 or Tq <= 64), batch and head; grouped heads read k/v head
// h / (Hq / Hkv).
// CHECK-LABEL: module attributes
// CHECK-SAME: window = 32
// CHECK-SAME: grid = [1, 8, 1]
// CHECK-SAME: op = "softmax_attention"
// CHECK: gpu.func @swa_kernel
// CHECK: llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
func.func @swa(%q: tensor<1x100x8x64xf16>, %k: tensor<1x100x2x64xf16>,
               %v: tensor<1x100x2x64xf16>) -> tensor<1x100x8x64xf16> {
  %o = attn.softmax_attention %q, %k, %v {window = 32}
      : (tensor<1x100x8x64xf16>, tensor<1x100x2x64xf16>,
         tensor<1x100x2x64xf16>) -> tensor<1x100x8x64xf16>
  return %o : tensor<1x100x8x64xf16>
}

// -----

// fuse-outputs=auto (the default): with B * H * Dv / 32 = 256 blocks of 32
// value columns, at least three quarters of the SMs' worth, linear
// attention is one kernel, the state pass computing each chunk's outputs
// (the output is the last buffer: no chunk_states scratch); with 64 (one sequence of 16 heads at Dv = 128)
// it stays split.
// ASYNC-LABEL: attn.gpu_manifests = {wide = {
// ASYNC-SAME: name = "o", role = "output", shape = [2, 100, 16, 128]}],
// ASYNC-SAME: launches = [{args = [0, 1, 2, 3], block = [128, 1, 1], entry = "wide_kernel", grid = [4, 32, 1]
// ASYNC-SAME: what = "state pass with outputs
// ASYNC-SAME: }]
func.func @wide(%q: tensor<2x100x16x128xbf16>, %k: tensor<2x100x16x128xbf16>,
                %v: tensor<2x100x16x128xbf16>) -> tensor<2x100x16x128xbf16> {
  %o = attn.linear_attention %q, %k, %v
      : (tensor<2x100x16x128xbf16>, tensor<2x100x16x128xbf16>,
         tensor<2x100x16x128xbf16>) -> tensor<2x100x16x128xbf16>
  return %o : tensor<2x100x16x128xbf16>
}

// -----

// ASYNC-LABEL: attn.gpu_manifests = {narrow = {
// ASYNC-SAME: name = "chunk_states", role = "scratch"
// ASYNC-SAME: entry = "narrow_states_kernel"
// ASYNC-SAME: entry = "narrow_kernel"
func.func @narrow(%q: tensor<1x100x16x128xbf16>, %k: tensor<1x100x16x128xbf16>,
                  %v: tensor<1x100x16x128xbf16>) -> tensor<1x100x16x128xbf16> {
  %o = attn.linear_attention %q, %k, %v
      : (tensor<1x100x16x128xbf16>, tensor<1x100x16x128xbf16>,
         tensor<1x100x16x128xbf16>) -> tensor<1x100x16x128xbf16>
  return %o : tensor<1x100x16x128xbf16>
}

// -----

// Functions without attn ops are left alone.
// CHECK-LABEL: func.func @plain
func.func @plain(%a: f32) -> f32 {
  return %a : f32
}
