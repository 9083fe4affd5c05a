// Tiny hand-written kernels in the attn-gpu-kernel/1 calling convention
// (every parameter one device pointer, sizes compiled in), used to test the
// CUDA runtime without the compiler: fake_softmax.json and fake_linear.json.
// They compute real ops on tiny shapes, so test/GPU/check_kernels.py checks
// them against the float64 reference like any compiled kernel.
//
// Regenerate the PTX (CUDA 13):
//   nvcc -ptx -arch=sm_90a -o fake_kernels_sm90a.ptx fake_kernels.cu
//   nvcc -ptx -arch=sm_80 -o fake_kernels_sm80.ptx fake_kernels.cu
#include <cuda_bf16.h>

// Softmax attention with Tq = Tk = 1 is o = v (the one key has weight 1).
// q, k, v, o: [2, 1, 4, 64] bf16. Two launches through an f32 scratch
// buffer; the second stages through 64 KiB of dynamic shared memory, so
// it needs the opt-in attribute and fails if the runtime forgets it.
#define SOFTMAX_N (2 * 1 * 4 * 64)
#define STAGE_FLOATS (65536 / 4)

extern "C" __global__ void fake_v_to_ws(const __nv_bfloat16 *__restrict__ v,
                                        float *__restrict__ ws) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < SOFTMAX_N)
    ws[i] = __bfloat162float(v[i]);
}

extern "C" __global__ void fake_ws_to_o(const float *__restrict__ ws,
                                        __nv_bfloat16 *__restrict__ o) {
  extern __shared__ float stage[];
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  // Use the top of the 64 KiB as well as the bottom.
  int top = STAGE_FLOATS - blockDim.x + threadIdx.x;
  float x = i < SOFTMAX_N ? ws[i] : 0.0f;
  stage[threadIdx.x] = x;
  stage[top] = x;
  __syncthreads();
  if (i < SOFTMAX_N)
    o[i] = __float2bfloat16(0.5f * (stage[threadIdx.x] + stage[top]));
}

// Causal linear attention (identity feature map) for T = 1 with GQA and an
// initial state: S = S0 + k v^T, o = scale q^T S. B = 2, Hq = 2, Hkv = 1,
// Dk = 32, Dv = 64; q [2,1,2,32], k [2,1,1,32], v [2,1,1,64] bf16;
// initial_state, final_state [2,2,32,64] f32; o [2,1,2,64] bf16.
// Grid (Hq, B), one thread per column j of the state.
#define LB 2
#define LHQ 2
#define LHKV 1
#define LDK 32
#define LDV 64
#define LSCALE 0.17677669529663687f

extern "C" __global__ void fake_linear_t1(
    const __nv_bfloat16 *__restrict__ q, const __nv_bfloat16 *__restrict__ k,
    const __nv_bfloat16 *__restrict__ v, const float *__restrict__ s0,
    __nv_bfloat16 *__restrict__ o, float *__restrict__ s1) {
  int h = blockIdx.x, b = blockIdx.y, j = threadIdx.x;
  int hk = h / (LHQ / LHKV);
  const __nv_bfloat16 *qr = q + (b * LHQ + h) * LDK;
  const __nv_bfloat16 *kr = k + (b * LHKV + hk) * LDK;
  float vj = __bfloat162float(v[(b * LHKV + hk) * LDV + j]);
  const float *S0 = s0 + (b * LHQ + h) * LDK * LDV;
  float *S1 = s1 + (b * LHQ + h) * LDK * LDV;
  float acc = 0.0f;
  for (int i = 0; i < LDK; ++i) {
    float s = S0[i * LDV + j] + __bfloat162float(kr[i]) * vj;
    S1[i * LDV + j] = s;
    acc += __bfloat162float(qr[i]) * s;
  }
  o[(b * LHQ + h) * LDV + j] = __float2bfloat16(LSCALE * acc);
}
