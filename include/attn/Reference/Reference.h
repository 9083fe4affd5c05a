//===- Reference.h - float64 recurrent reference of every attn op -*- C++ -*-===//
//
// An independent, deliberately simple implementation of the math in DESIGN.md
// section 2, in double precision and in the definitional (recurrent) form. It
// shares no code with the compiler so that it can check it. Layout is
// [B, T, H, D] for q/k/v/o, [B, T, H] for beta and scalar gates,
// [B, T, H, Dk] for vector gates and [B, H, Dk, Dv] for states.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_REFERENCE_REFERENCE_H
#define ATTN_REFERENCE_REFERENCE_H

#include <cstdint>
#include <string>
#include <vector>

namespace attn::reference {

/// A dense row-major float64 array.
struct Array {
  std::vector<int64_t> shape;
  std::vector<double> data;

  Array() = default;
  explicit Array(std::vector<int64_t> shape);
  Array(std::vector<int64_t> shape, std::vector<double> data);
  int64_t numElements() const;
  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
};

enum class FeatureMap { Identity, EluPlusOne, Relu };

/// Outputs of the linear-family ops: o [B,T,H,Dv] and final state [B,H,Dk,Dv].
struct StateResult {
  Array o;
  Array finalState;
};

/// o_t = sum_s softmax_s(scale q_t.k_s + m(t,s)) v_s. q: [B,Tq,H,Dk],
/// k: [B,Tk,H,Dk], v: [B,Tk,H,Dv]. With `causal`, query t sees keys
/// s <= t + (Tk - Tq) (queries are the last Tq positions).
Array softmaxAttention(const Array &q, const Array &k, const Array &v,
                       bool causal, double scale);

/// S_t = S_{t-1} + phi(k_t) v_t^T; o_t = scale phi(q_t)^T S_t; normalized:
/// divided by scale phi(q_t).z_t with z_t = z_{t-1} + phi(k_t), z_0 = 0.
/// Non-causal: every o_t uses the final S (and z). `initialState` may be null.
StateResult linearAttention(const Array &q, const Array &k, const Array &v,
                            const Array *initialState, FeatureMap featureMap,
                            bool normalize, bool causal, double scale);

/// S_t = diag(exp(g_t)) S_{t-1} + k_t v_t^T; o_t = scale q_t^T S_t.
/// g is [B,T,H] (scalar gate) or [B,T,H,Dk] (vector gate).
StateResult gatedLinearAttention(const Array &q, const Array &k,
                                 const Array &v, const Array &g,
                                 const Array *initialState, double scale);

/// S_t = exp(g_t) (I - beta_t k_t k_t^T) S_{t-1} + beta_t k_t v_t^T;
/// o_t = scale q_t^T S_t. `g` ([B,T,H]) may be null (plain delta rule).
StateResult deltaRule(const Array &q, const Array &k, const Array &v,
                      const Array &beta, const Array *g,
                      const Array *initialState, double scale);

/// ||out - ref||_2 / ||ref||_2 (||out - ref||_2 when ref is all zeros).
/// Shapes must match; returns +inf on a mismatch or a NaN anywhere.
double relativeError(const Array &out, const Array &ref);

} // namespace attn::reference

#endif // ATTN_REFERENCE_REFERENCE_H
