// Every op, in every variant the GPU kernels take, compiles to PTX for
// sm_90a and sm_80 that ptxas accepts, with the tensor-core instructions in it.
// RUN: rm -rf %t
// RUN: attn-gpu-compile %s --target=sm_90 -o %t/sm90 | FileCheck %s
// RUN: attn-gpu-compile %s --target=sm_80 -o %t/sm80
// RUN: FileCheck %s --check-prefix=PTX90 < %t/sm90/gdn_gqa.ptx
// RUN: FileCheck %s --check-prefix=PTX80 < %t/sm80/softmax_decode.ptx
// RUN: FileCheck %s --check-prefix=JSON < %t/sm90/gdn_gqa.json
// RUN: %if ptxas %{ %python %S/assemble.py %ptxas sm_90a %t/sm90 %}
// RUN: %if ptxas %{ %python %S/assemble.py %ptxas sm_80 %t/sm80 %}

// CHECK-COUNT-9: {{.*}}.ptx, {{.*}}.json

// PTX90: .target sm_90a
// PTX90: .extern .shared .align 16 .b8 __dynamic_shmem__0[];
// PTX90: .visible .entry gdn_gqa_kernel(
// PTX90-DAG: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX90-DAG: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// PTX90-DAG: ex2.approx

// PTX80: .target sm_80
// PTX80: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32

// JSON:      "gate": "scalar"
// JSON:      "name": "final_state"
// JSON-NEXT: "role": "output"
// JSON:      "format": "attn-gpu-kernel/1"
// JSON:      "block": [
// JSON-NEXT:   128,
// JSON:      "entry": "gdn_gqa_kernel"
// JSON:      "op": "delta_rule"
// JSON:      "ptx": "gdn_gqa.ptx"
// JSON:      "target": "sm_90a"

func.func @linear_elu_state(%q: tensor<1x77x2x64xbf16>, %k: tensor<1x77x2x64xbf16>, %v: tensor<1x77x2x64xbf16>, %s0: tensor<1x2x64x64xf32>) -> (tensor<1x77x2x64xbf16>, tensor<1x2x64x64xf32>) {
  %r0, %r1 = attn.linear_attention %q, %k, %v initial_state(%s0) {feature_map = #attn.feature_map<elu_plus_one>} : (tensor<1x77x2x64xbf16>, tensor<1x77x2x64xbf16>, tensor<1x77x2x64xbf16>, tensor<1x2x64x64xf32>) -> (tensor<1x77x2x64xbf16>, tensor<1x2x64x64xf32>)
  return %r0, %r1 : tensor<1x77x2x64xbf16>, tensor<1x2x64x64xf32>
}

func.func @linear_t1(%q: tensor<2x1x2x64xbf16>, %k: tensor<2x1x2x64xbf16>, %v: tensor<2x1x2x64xbf16>) -> tensor<2x1x2x64xbf16> {
  %r0 = attn.linear_attention %q, %k, %v : (tensor<2x1x2x64xbf16>, tensor<2x1x2x64xbf16>, tensor<2x1x2x64xbf16>) -> tensor<2x1x2x64xbf16>
  return %r0 : tensor<2x1x2x64xbf16>
}

func.func @simple_gla_f32(%q: tensor<1x130x2x128xf32>, %k: tensor<1x130x2x128xf32>, %v: tensor<1x130x2x128xf32>, %g: tensor<1x130x2xf32>) -> tensor<1x130x2x128xf32> {
  %r0 = attn.gated_linear_attention %q, %k, %v, %g : (tensor<1x130x2x128xf32>, tensor<1x130x2x128xf32>, tensor<1x130x2x128xf32>, tensor<1x130x2xf32>) -> tensor<1x130x2x128xf32>
  return %r0 : tensor<1x130x2x128xf32>
}

func.func @gla_f16(%q: tensor<1x70x2x64xf16>, %k: tensor<1x70x2x64xf16>, %v: tensor<1x70x2x64xf16>, %g: tensor<1x70x2x64xf32>) -> tensor<1x70x2x64xf16> {
  %r0 = attn.gated_linear_attention %q, %k, %v, %g : (tensor<1x70x2x64xf16>, tensor<1x70x2x64xf16>, tensor<1x70x2x64xf16>, tensor<1x70x2x64xf32>) -> tensor<1x70x2x64xf16>
  return %r0 : tensor<1x70x2x64xf16>
}

func.func @delta_d256(%q: tensor<1x40x1x256xbf16>, %k: tensor<1x40x1x256xbf16>, %v: tensor<1x40x1x256xbf16>, %beta: tensor<1x40x1xbf16>) -> tensor<1x40x1x256xbf16> {
  %r0 = attn.delta_rule %q, %k, %v, %beta : (tensor<1x40x1x256xbf16>, tensor<1x40x1x256xbf16>, tensor<1x40x1x256xbf16>, tensor<1x40x1xbf16>) -> tensor<1x40x1x256xbf16>
  return %r0 : tensor<1x40x1x256xbf16>
}

func.func @gdn_gqa(%q: tensor<1x90x4x128xbf16>, %k: tensor<1x90x2x128xbf16>, %v: tensor<1x90x2x128xbf16>, %beta: tensor<1x90x4xbf16>, %g: tensor<1x90x4xf32>) -> (tensor<1x90x4x128xbf16>, tensor<1x4x128x128xf32>) {
  %r0, %r1 = attn.delta_rule %q, %k, %v, %beta gate(%g) : (tensor<1x90x4x128xbf16>, tensor<1x90x2x128xbf16>, tensor<1x90x2x128xbf16>, tensor<1x90x4xbf16>, tensor<1x90x4xf32>) -> (tensor<1x90x4x128xbf16>, tensor<1x4x128x128xf32>)
  return %r0, %r1 : tensor<1x90x4x128xbf16>, tensor<1x4x128x128xf32>
}

func.func @softmax_noncausal(%q: tensor<2x65x2x128xbf16>, %k: tensor<2x65x2x128xbf16>, %v: tensor<2x65x2x128xbf16>) -> tensor<2x65x2x128xbf16> {
  %r0 = attn.softmax_attention %q, %k, %v {causal = false} : (tensor<2x65x2x128xbf16>, tensor<2x65x2x128xbf16>, tensor<2x65x2x128xbf16>) -> tensor<2x65x2x128xbf16>
  return %r0 : tensor<2x65x2x128xbf16>
}

func.func @softmax_decode(%q: tensor<1x1x8x64xbf16>, %k: tensor<1x300x2x64xbf16>, %v: tensor<1x300x2x64xbf16>) -> tensor<1x1x8x64xbf16> {
  %r0 = attn.softmax_attention %q, %k, %v {window = 128} : (tensor<1x1x8x64xbf16>, tensor<1x300x2x64xbf16>, tensor<1x300x2x64xbf16>) -> tensor<1x1x8x64xbf16>
  return %r0 : tensor<1x1x8x64xbf16>
}

func.func @softmax_d256(%q: tensor<1x100x1x256xbf16>, %k: tensor<1x100x1x256xbf16>, %v: tensor<1x100x1x256xbf16>) -> tensor<1x100x1x256xbf16> {
  %r0 = attn.softmax_attention %q, %k, %v : (tensor<1x100x1x256xbf16>, tensor<1x100x1x256xbf16>, tensor<1x100x1x256xbf16>) -> tensor<1x100x1x256xbf16>
  return %r0 : tensor<1x100x1x256xbf16>
}
