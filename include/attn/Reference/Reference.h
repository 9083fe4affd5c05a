//===- Reference.h - float64 recurrent reference of every attn op -*- C++ -*-===//
//
// An independent, deliberately simple implementation of the math in
// docs/ops.md, in double precision and in the definitional (recurrent) form. It
// shares no code with the compiler so that it can check it. Layout is
// [B, T, H, D] for q/k/v/o, [B, T, H] for beta and scalar gates,
// [B, T, H, Dk] for vector gates and [B, H, Dk, Dv] for states.
//
// Grouped-query attention (GQA): every op takes q with Hq heads and k, v with
// Hkv heads, Hq a multiple of Hkv (G = Hq / Hkv; Hkv = 1 is multi-query
// attention). Query head h reads key/value head h / G (integer division), so
// the result is the same as repeating each k/v head G times along the head
// axis. Everything else is per query head: o [B,T,Hq,Dv], beta and scalar
// gates [B,T,Hq], vector gates [B,T,Hq,Dk], states [B,Hq,Dk,Dv]. Hq == Hkv is
// plain multi-head attention. Shape errors throw std::invalid_argument.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_REFERENCE_REFERENCE_H
#define ATTN_REFERENCE_REFERENCE_H

#include <cstdint>
#include <functional>
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

/// phi of linear attention. Favor is FAVOR+ (Performer):
/// phi(x) = exp(W x - |x|^2 / 2) / sqrt(m) with a projection W [m, Dk].
enum class FeatureMap { Identity, EluPlusOne, Relu, Favor };

/// Outputs of the linear-family ops: o [B,T,Hq,Dv] and final state
/// [B,Hq,Dk,Dv].
struct StateResult {
  Array o;
  Array finalState;
};

/// o_t = sum_s softmax_s(scale q_t.k_s + m(t,s)) v_s. q: [B,Tq,Hq,Dk],
/// k: [B,Tk,Hkv,Dk], v: [B,Tk,Hkv,Dv]; o: [B,Tq,Hq,Dv]. With `causal`, the
/// queries are the last Tq of the Tk positions: query t sits at
/// t' = t + (Tk - Tq) and sees keys s <= t'. A sliding `window` > 0 (causal
/// only) also hides keys s <= t' - window, so query t sees at most `window`
/// keys, itself and the window - 1 before it; 0 is no window, and a window of
/// Tk or more changes nothing. A query that sees no key (causal, Tq > Tk)
/// gives 0. Throws std::invalid_argument for window < 0 or a window without
/// `causal`.
Array softmaxAttention(const Array &q, const Array &k, const Array &v,
                       bool causal, double scale, int64_t window = 0);

/// S_t = S_{t-1} + phi(k_t) v_t^T; o_t = scale phi(q_t)^T S_t; normalized:
/// divided by scale phi(q_t).z_t with z_t = z_{t-1} + phi(k_t), z_0 = 0.
/// Non-causal: every o_t uses the final S (and z). `initialState` may be null.
/// FeatureMap::Favor needs `projection` W [m, Dk] (and only it takes one);
/// phi(x) then has m entries and the states are [B,Hq,m,Dv].
StateResult linearAttention(const Array &q, const Array &k, const Array &v,
                            const Array *initialState, FeatureMap featureMap,
                            bool normalize, bool causal, double scale,
                            const Array *projection = nullptr);

/// S_t = diag(exp(g_t)) S_{t-1} + k_t v_t^T; o_t = scale q_t^T S_t.
/// g is [B,T,Hq] (scalar gate) or [B,T,Hq,Dk] (vector gate).
StateResult gatedLinearAttention(const Array &q, const Array &k,
                                 const Array &v, const Array &g,
                                 const Array *initialState, double scale);

/// S_t = exp(g_t) (I - beta_t k_t k_t^T) S_{t-1} + beta_t k_t v_t^T;
/// o_t = scale q_t^T S_t. beta: [B,T,Hq]. `g` ([B,T,Hq]) may be null (plain
/// delta rule).
StateResult deltaRule(const Array &q, const Array &k, const Array &v,
                      const Array &beta, const Array *g,
                      const Array *initialState, double scale);

//===----------------------------------------------------------------------===//
// Gradients
//===----------------------------------------------------------------------===//

/// Gradients of linearAttention (g null; featureMap identity, elu + 1 or
/// relu, not normalized) or of gatedLinearAttention with a scalar gate g
/// [B,T,Hq], given dO [B,T,Hq,Dv] and, optionally, the final state's
/// gradient dFinalState [B,Hq,Dk,Dv]: backpropagation through the
/// recurrence (states forward, dS backward over t). dk and dv have k's and
/// v's Hkv heads (summed over each group of query heads); dg is empty
/// without a gate, dInitialState without an initial state.
struct GradResult {
  Array dq, dk, dv, dg, dInitialState;
};
/// Gradients of softmaxAttention (same causal, scale and window) given dO
/// [B,Tq,Hq,Dv]: dq, dk and dv (dk, dv summed over each group of query
/// heads); dg and dInitialState stay empty.
GradResult softmaxAttentionGrad(const Array &q, const Array &k,
                                const Array &v, const Array &dO, bool causal,
                                double scale, int64_t window = 0);
/// Gradients of deltaRule (g null: the plain delta rule) given dO and,
/// optionally, dFinalState: dq, dk, dv (k's and v's heads), dbeta
/// [B,T,Hq], dg (empty without a gate), dInitialState.
struct DeltaGradResult {
  GradResult grads;
  Array dbeta;
};
DeltaGradResult deltaRuleGrad(const Array &q, const Array &k, const Array &v,
                              const Array &beta, const Array *g,
                              const Array &dO, const Array *initialState,
                              const Array *dFinalState, double scale);
GradResult linearFamilyGrad(const Array &q, const Array &k, const Array &v,
                            const Array *g, const Array &dO,
                            const Array *initialState,
                            const Array *dFinalState, FeatureMap featureMap,
                            bool causal, double scale);

//===----------------------------------------------------------------------===//
// Packed sequences (variable length)
//===----------------------------------------------------------------------===//

/// Checks packed-sequence offsets for a length-T axis: N + 1 >= 2 entries,
/// cu[0] = 0, non-decreasing, cu[N] = T. Throws std::invalid_argument.
void checkCuSeqlens(const std::vector<int64_t> &cuSeqlens, int64_t T);

/// Positions [begin, end) of dimension 1 (T) of an array of rank >= 2.
Array sliceTime(const Array &a, int64_t begin, int64_t end);

/// One op on one sequence: its per-step inputs sliced to the sequence
/// ([1, len, ...], null entries stay null) and its initial state ([1, ...],
/// or null). Returns its o and final state (empty for softmax).
using SequenceFn = std::function<StateResult(
    const std::vector<const Array *> &inputs, const Array *initialState)>;

/// The packed (variable-length) form of an op, by definition: every input
/// in `perStep` has B = 1 and T positions holding N sequences, sequence n
/// at [cu[n], cu[n+1]); `fn` runs on each sequence separately with row n of
/// `initialState` ([N, ...], may be null), and the outputs are concatenated
/// along T, the final states stacked to [N, ...]. Empty sequences give no
/// output and their initial state (zeros if none) as final state.
StateResult packedSequences(const std::vector<int64_t> &cuSeqlens,
                            const std::vector<const Array *> &perStep,
                            const Array *initialState, const SequenceFn &fn);

/// ||out - ref||_2 / ||ref||_2 (||out - ref||_2 when ref is all zeros).
/// Shapes must match; returns +inf on a mismatch or a NaN anywhere.
double relativeError(const Array &out, const Array &ref);

} // namespace attn::reference

#endif // ATTN_REFERENCE_REFERENCE_H
