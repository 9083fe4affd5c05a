/* Calls a function compiled by attn-compile through its C ABI and checks it
 * against a direct computation:
 *   build/bin/attn-compile docs/examples/softmax-small.mlir -o libsm.so
 *   clang-22 docs/examples/call_softmax.c -L. -lsm -Wl,-rpath,. -lm -o call_softmax
 *   ./call_softmax
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

/* A rank-4 memref descriptor: what every tensor argument and result is
 * passed as (row-major: offset 0, strides from the sizes). */
typedef struct {
  float *allocated, *aligned;
  int64_t offset, sizes[4], strides[4];
} MemRef4;

enum { B = 1, T = 8, H = 2, D = 16 };

/* Inputs first, then the result, which the caller allocates. */
void _mlir_ciface_softmax(MemRef4 *q, MemRef4 *k, MemRef4 *v, MemRef4 *o);

static MemRef4 wrap(float *data) {
  MemRef4 m = {data, data, 0, {B, T, H, D}, {T * H * D, H * D, D, 1}};
  return m;
}

static float q[B][T][H][D], k[B][T][H][D], v[B][T][H][D], o[B][T][H][D];

int main(void) {
  for (int t = 0; t < T; ++t)
    for (int h = 0; h < H; ++h)
      for (int d = 0; d < D; ++d) {
        q[0][t][h][d] = sinf(0.1f * (t * 31 + h * 7 + d));
        k[0][t][h][d] = cosf(0.2f * (t * 17 + h * 5 + d));
        v[0][t][h][d] = sinf(0.3f * (t * 13 + h * 3 + d) + 1.0f);
      }
  MemRef4 mq = wrap(&q[0][0][0][0]), mk = wrap(&k[0][0][0][0]),
          mv = wrap(&v[0][0][0][0]), mo = wrap(&o[0][0][0][0]);
  _mlir_ciface_softmax(&mq, &mk, &mv, &mo);

  /* The same causal softmax attention, directly, in double precision. */
  double worst = 0;
  for (int h = 0; h < H; ++h)
    for (int t = 0; t < T; ++t) {
      double s[T], m = -INFINITY, l = 0;
      for (int j = 0; j <= t; ++j) {
        s[j] = 0;
        for (int d = 0; d < D; ++d)
          s[j] += q[0][t][h][d] * k[0][j][h][d] / sqrt((double)D);
        m = s[j] > m ? s[j] : m;
      }
      for (int j = 0; j <= t; ++j)
        l += exp(s[j] - m);
      for (int d = 0; d < D; ++d) {
        double ref = 0;
        for (int j = 0; j <= t; ++j)
          ref += exp(s[j] - m) / l * v[0][j][h][d];
        double err = fabs(ref - o[0][t][h][d]);
        worst = err > worst ? err : worst;
      }
    }
  printf("o[0][7][1][0..3] = %.5f %.5f %.5f %.5f\n", o[0][7][1][0],
         o[0][7][1][1], o[0][7][1][2], o[0][7][1][3]);
  printf("max abs error vs direct computation: %.2e (%s)\n", worst,
         worst < 1e-5 ? "ok" : "FAIL");
  return worst < 1e-5 ? 0 : 1;
}
