//===- Reference.cpp - float64 recurrent reference of every attn op ------===//
//
// Plain loops over the definitions of docs/ops.md, in double. Nothing
// clever on purpose: this code is the yardstick the compiler is measured by,
// so it should be obviously right rather than fast.
//
//===----------------------------------------------------------------------===//

#include "attn/Reference/Reference.h"
#include "ScalarFeatureMap.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace attn::reference {

//===----------------------------------------------------------------------===//
// Array
//===----------------------------------------------------------------------===//

namespace {

std::string shapeStr(const std::vector<int64_t> &shape) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < shape.size(); ++i)
    os << (i ? "," : "") << shape[i];
  os << "]";
  return os.str();
}

int64_t product(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      throw std::invalid_argument("negative dimension in shape " +
                                  shapeStr(shape));
    n *= d;
  }
  return n;
}

} // namespace

Array::Array(std::vector<int64_t> s) : shape(std::move(s)) {
  data.assign(static_cast<size_t>(product(shape)), 0.0);
}

Array::Array(std::vector<int64_t> s, std::vector<double> d)
    : shape(std::move(s)), data(std::move(d)) {
  int64_t n = product(shape);
  if (static_cast<int64_t>(data.size()) != n)
    throw std::invalid_argument("Array: shape " + shapeStr(shape) + " needs " +
                                std::to_string(n) + " elements but " +
                                std::to_string(data.size()) + " were given");
}

int64_t Array::numElements() const { return product(shape); }

//===----------------------------------------------------------------------===//
// Shape checks
//===----------------------------------------------------------------------===//

namespace {

[[noreturn]] void fail(const std::string &op, const std::string &msg) {
  throw std::invalid_argument(op + ": " + msg);
}

/// Checks rank and that data holds exactly numElements() values (the fields
/// are public, so an Array can be built inconsistent by hand).
void checkArray(const std::string &op, const char *name, const Array &a,
                int64_t rank) {
  if (a.rank() != rank)
    fail(op, std::string(name) + " must have rank " + std::to_string(rank) +
                 ", got shape " + shapeStr(a.shape));
  for (int64_t dim : a.shape)
    if (dim < 0)
      fail(op, std::string(name) + " has a negative dimension: " +
                   shapeStr(a.shape));
  if (static_cast<int64_t>(a.data.size()) != a.numElements())
    fail(op, std::string(name) + " has shape " + shapeStr(a.shape) +
                 " but holds " + std::to_string(a.data.size()) + " values");
}

void checkShape(const std::string &op, const char *name, const Array &a,
                const std::vector<int64_t> &expected) {
  checkArray(op, name, a, static_cast<int64_t>(expected.size()));
  if (a.shape != expected)
    fail(op, std::string(name) + " must have shape " + shapeStr(expected) +
                 ", got " + shapeStr(a.shape));
}

/// The GQA head counts: q has Hq heads, k and v Hkv, and query head h reads
/// key/value head h / G with G = Hq / Hkv. Checks that Hkv divides Hq (a
/// message naming k, the operand whose head count is wrong).
int64_t groupSize(const std::string &op, int64_t Hq, int64_t Hkv) {
  if (Hkv == 0 && Hq == 0)
    return 1; // no heads at all: nothing to compute
  if (Hkv == 0 || Hq % Hkv != 0)
    fail(op, "k has " + std::to_string(Hkv) + " heads but q has " +
                 std::to_string(Hq) +
                 ": the query head count (Hq) must be a multiple of the "
                 "key/value head count (Hkv)");
  return Hq / Hkv;
}

/// Sizes shared by the linear-family ops: Hq query heads, Hkv key/value
/// heads, G = Hq / Hkv query heads per key/value head.
struct Dims {
  int64_t B, T, Hq, Hkv, G, Dk, Dv;
};

/// q: [B,T,Hq,Dk], k: [B,T,Hkv,Dk], v: [B,T,Hkv,Dv] with the same T
/// (recurrent ops have no separate query length) and Hkv dividing Hq, optional
/// initial state [B,Hq,Dk,Dv].
Dims checkQKV(const std::string &op, const Array &q, const Array &k,
              const Array &v, const Array *initialState) {
  checkArray(op, "q", q, 4);
  checkArray(op, "k", k, 4);
  checkArray(op, "v", v, 4);
  Dims d{q.shape[0], q.shape[1], q.shape[2], k.shape[2], 1,
         q.shape[3], v.shape[3]};
  checkShape(op, "k", k, {d.B, d.T, d.Hkv, d.Dk});
  d.G = groupSize(op, d.Hq, d.Hkv);
  checkShape(op, "v", v, {d.B, d.T, d.Hkv, d.Dv});
  if (initialState)
    checkShape(op, "initial state", *initialState, {d.B, d.Hq, d.Dk, d.Dv});
  return d;
}

/// Offset of [b,t,h,0] in a [B,T,H,D] array.
inline size_t at4(int64_t T, int64_t H, int64_t D, int64_t b, int64_t t,
                  int64_t h) {
  return static_cast<size_t>(((b * T + t) * H + h) * D);
}

/// Offset of [b,t,h,0] in a per-query-head [B,T,Hq,D] array (q, o, vector
/// gates).
inline size_t at(const Dims &d, int64_t b, int64_t t, int64_t h, int64_t D) {
  return at4(d.T, d.Hq, D, b, t, h);
}

/// Offset in k or v ([B,T,Hkv,D]) of the key/value head that query head h
/// reads: head h / G.
inline size_t atKV(const Dims &d, int64_t b, int64_t t, int64_t h, int64_t D) {
  return at4(d.T, d.Hkv, D, b, t, h / d.G);
}

/// Offset of [b,t,h] in a [B,T,Hq] array (beta, scalar gates).
inline size_t atBTH(const Dims &d, int64_t b, int64_t t, int64_t h) {
  return static_cast<size_t>((b * d.T + t) * d.Hq + h);
}

/// Offset of [b,h,0,0] in a [B,Hq,Dk,Dv] state.
inline size_t stateAt(const Dims &d, int64_t b, int64_t h) {
  return static_cast<size_t>((b * d.Hq + h) * d.Dk * d.Dv);
}

/// Starts the state from `initialState` or zeros.
Array initState(const Dims &d, const Array *initialState) {
  return initialState ? *initialState : Array({d.B, d.Hq, d.Dk, d.Dv});
}

using detail::phi;

/// phi(x) of a [Dk] vector into `out` ([m] for FAVOR+ with W [m, Dk], else
/// [Dk]).
void features(FeatureMap fm, const Array *w, const double *x, int64_t Dk,
              std::vector<double> &out) {
  if (fm != FeatureMap::Favor) {
    for (int64_t i = 0; i < Dk; ++i)
      out[i] = phi(fm, x[i]);
    return;
  }
  const int64_t m = w->shape[0];
  double sq = 0.0;
  for (int64_t i = 0; i < Dk; ++i)
    sq += x[i] * x[i];
  for (int64_t r = 0; r < m; ++r) {
    double wx = 0.0;
    for (int64_t i = 0; i < Dk; ++i)
      wx += w->data[r * Dk + i] * x[i];
    out[r] = std::exp(wx - 0.5 * sq) / std::sqrt(static_cast<double>(m));
  }
}

/// o[b,t,h,:] = scale * x^T S for a [Dk] vector x and the state of (b,h).
void readOut(const Dims &d, const double *x, const double *S, double scale,
             double *o) {
  for (int64_t j = 0; j < d.Dv; ++j)
    o[j] = 0.0;
  for (int64_t i = 0; i < d.Dk; ++i) {
    double xi = x[i];
    const double *row = S + i * d.Dv;
    for (int64_t j = 0; j < d.Dv; ++j)
      o[j] += xi * row[j];
  }
  for (int64_t j = 0; j < d.Dv; ++j)
    o[j] *= scale;
}

} // namespace

//===----------------------------------------------------------------------===//
// Softmax attention
//===----------------------------------------------------------------------===//

Array softmaxAttention(const Array &q, const Array &k, const Array &v,
                       bool causal, double scale, int64_t window) {
  const std::string op = "softmaxAttention";
  if (window < 0)
    fail(op, "window must be >= 0 (0 is no window), got " +
                 std::to_string(window));
  if (window > 0 && !causal)
    fail(op, "window (" + std::to_string(window) +
                 ") needs causal attention: a sliding window hides the keys "
                 "more than window - 1 positions before the query");
  checkArray(op, "q", q, 4);
  checkArray(op, "k", k, 4);
  checkArray(op, "v", v, 4);
  int64_t B = q.shape[0], Tq = q.shape[1], Hq = q.shape[2], Dk = q.shape[3];
  int64_t Tk = k.shape[1], Hkv = k.shape[2], Dv = v.shape[3];
  checkShape(op, "k", k, {B, Tk, Hkv, Dk});
  const int64_t G = groupSize(op, Hq, Hkv);
  checkShape(op, "v", v, {B, Tk, Hkv, Dv});

  Array o({B, Tq, Hq, Dv});
  std::vector<double> p(static_cast<size_t>(Tk));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < Hq; ++h) {
      const int64_t hkv = h / G; // the key/value head query head h reads
      for (int64_t t = 0; t < Tq; ++t) {
        // Queries are the last Tq of the Tk positions (decode / prefill with
        // a cache), so query t sits at absolute position t' = t + Tk - Tq.
        // It sees keys first..last: s <= t' when causal, and with a window
        // only t' - window < s as well.
        int64_t tAbs = t + (Tk - Tq);
        int64_t last = causal ? std::min(Tk - 1, tAbs) : Tk - 1;
        int64_t first = window > 0 ? std::max<int64_t>(0, tAbs - window + 1)
                                   : 0;
        double *ot = &o.data[at4(Tq, Hq, Dv, b, t, h)];
        // A query that sees no key (causal with Tq > Tk) has an empty softmax;
        // its output stays 0, as in FlashAttention.
        if (last < first)
          continue;
        const double *qt = &q.data[at4(Tq, Hq, Dk, b, t, h)];
        double mx = -std::numeric_limits<double>::infinity();
        for (int64_t s = first; s <= last; ++s) {
          const double *ks = &k.data[at4(Tk, Hkv, Dk, b, s, hkv)];
          double dot = 0.0;
          for (int64_t i = 0; i < Dk; ++i)
            dot += qt[i] * ks[i];
          p[s] = scale * dot;
          mx = std::max(mx, p[s]);
        }
        // Subtract the row max so exp never overflows (stable softmax).
        double sum = 0.0;
        for (int64_t s = first; s <= last; ++s) {
          p[s] = std::exp(p[s] - mx);
          sum += p[s];
        }
        for (int64_t s = first; s <= last; ++s) {
          const double *vs = &v.data[at4(Tk, Hkv, Dv, b, s, hkv)];
          double w = p[s] / sum;
          for (int64_t j = 0; j < Dv; ++j)
            ot[j] += w * vs[j];
        }
      }
    }
  return o;
}

//===----------------------------------------------------------------------===//
// Linear attention
//===----------------------------------------------------------------------===//

StateResult linearAttention(const Array &q, const Array &k, const Array &v,
                            const Array *initialState, FeatureMap featureMap,
                            bool normalize, bool causal, double scale,
                            const Array *projection) {
  const std::string op = "linearAttention";
  bool favor = featureMap == FeatureMap::Favor;
  if (favor != (projection != nullptr))
    fail(op, favor ? "the FAVOR+ feature map needs a projection W [m, Dk]"
                   : "a projection is taken only by the FAVOR+ feature map");
  const Dims in = checkQKV(op, q, k, v, nullptr);
  // The state's key dimension is that of phi: m for FAVOR+, else Dk.
  Dims d = in;
  if (favor) {
    checkArray(op, "projection", *projection, 2);
    if (projection->shape[1] != in.Dk)
      fail(op, "projection must have shape [m, Dk] with Dk = " +
                   std::to_string(in.Dk) + ", got " +
                   shapeStr(projection->shape));
    d.Dk = projection->shape[0];
  }
  if (initialState)
    checkShape(op, "initial state", *initialState, {d.B, d.Hq, d.Dk, d.Dv});
  StateResult r{Array({d.B, d.T, d.Hq, d.Dv}), initState(d, initialState)};
  std::vector<double> pq(d.Dk), pk(d.Dk), z(d.Dk);

  // o_t = scale phi(q_t)^T S, optionally divided by scale phi(q_t).z.
  auto emit = [&](int64_t b, int64_t t, int64_t h, const double *S) {
    features(featureMap, projection, &q.data[at(d, b, t, h, in.Dk)], in.Dk,
             pq);
    double *ot = &r.o.data[at(d, b, t, h, d.Dv)];
    readOut(d, pq.data(), S, scale, ot);
    if (normalize) {
      double den = 0.0;
      for (int64_t i = 0; i < d.Dk; ++i)
        den += pq[i] * z[i];
      den *= scale;
      // No epsilon: the definition divides exactly (0/0 gives NaN).
      for (int64_t j = 0; j < d.Dv; ++j)
        ot[j] /= den;
    }
  };

  for (int64_t b = 0; b < d.B; ++b)
    for (int64_t h = 0; h < d.Hq; ++h) {
      double *S = &r.finalState.data[stateAt(d, b, h)];
      // z_0 = 0 even with an initial state: the state carries no normalizer.
      std::fill(z.begin(), z.end(), 0.0);
      for (int64_t t = 0; t < d.T; ++t) {
        const double *vt = &v.data[atKV(d, b, t, h, d.Dv)];
        features(featureMap, projection, &k.data[atKV(d, b, t, h, in.Dk)],
                 in.Dk, pk);
        // S += phi(k_t) v_t^T ; z += phi(k_t)
        for (int64_t i = 0; i < d.Dk; ++i) {
          z[i] += pk[i];
          for (int64_t j = 0; j < d.Dv; ++j)
            S[i * d.Dv + j] += pk[i] * vt[j];
        }
        if (causal)
          emit(b, t, h, S);
      }
      // Non-causal: every position reads the state after all T steps.
      if (!causal)
        for (int64_t t = 0; t < d.T; ++t)
          emit(b, t, h, S);
    }
  return r;
}

//===----------------------------------------------------------------------===//
// Gated linear attention
//===----------------------------------------------------------------------===//

StateResult gatedLinearAttention(const Array &q, const Array &k,
                                 const Array &v, const Array &g,
                                 const Array *initialState, double scale) {
  const std::string op = "gatedLinearAttention";
  const Dims d = checkQKV(op, q, k, v, initialState);
  bool vectorGate = g.rank() == 4;
  if (vectorGate)
    checkShape(op, "g", g, {d.B, d.T, d.Hq, d.Dk});
  else if (g.rank() == 3)
    checkShape(op, "g", g, {d.B, d.T, d.Hq});
  else
    fail(op, "g must have shape [B,T,Hq] (scalar gate) or [B,T,Hq,Dk] (vector "
             "gate), got " +
                 shapeStr(g.shape));

  StateResult r{Array({d.B, d.T, d.Hq, d.Dv}), initState(d, initialState)};
  for (int64_t b = 0; b < d.B; ++b)
    for (int64_t h = 0; h < d.Hq; ++h) {
      double *S = &r.finalState.data[stateAt(d, b, h)];
      for (int64_t t = 0; t < d.T; ++t) {
        const double *qt = &q.data[at(d, b, t, h, d.Dk)];
        const double *kt = &k.data[atKV(d, b, t, h, d.Dk)];
        const double *vt = &v.data[atKV(d, b, t, h, d.Dv)];
        // g is a log-decay; row i of S (key dimension i) decays by exp(g_i).
        const double *gt =
            vectorGate ? &g.data[at(d, b, t, h, d.Dk)]
                       : &g.data[atBTH(d, b, t, h)];
        for (int64_t i = 0; i < d.Dk; ++i) {
          double decay = std::exp(vectorGate ? gt[i] : gt[0]);
          for (int64_t j = 0; j < d.Dv; ++j)
            S[i * d.Dv + j] = decay * S[i * d.Dv + j] + kt[i] * vt[j];
        }
        readOut(d, qt, S, scale, &r.o.data[at(d, b, t, h, d.Dv)]);
      }
    }
  return r;
}

//===----------------------------------------------------------------------===//
// (Gated) delta rule
//===----------------------------------------------------------------------===//

StateResult deltaRule(const Array &q, const Array &k, const Array &v,
                      const Array &beta, const Array *g,
                      const Array *initialState, double scale) {
  const std::string op = "deltaRule";
  const Dims d = checkQKV(op, q, k, v, initialState);
  checkShape(op, "beta", beta, {d.B, d.T, d.Hq});
  if (g)
    checkShape(op, "g", *g, {d.B, d.T, d.Hq});

  StateResult r{Array({d.B, d.T, d.Hq, d.Dv}), initState(d, initialState)};
  std::vector<double> u(d.Dv);
  for (int64_t b = 0; b < d.B; ++b)
    for (int64_t h = 0; h < d.Hq; ++h) {
      double *S = &r.finalState.data[stateAt(d, b, h)];
      for (int64_t t = 0; t < d.T; ++t) {
        const double *qt = &q.data[at(d, b, t, h, d.Dk)];
        const double *kt = &k.data[atKV(d, b, t, h, d.Dk)];
        const double *vt = &v.data[atKV(d, b, t, h, d.Dv)];
        size_t bth = atBTH(d, b, t, h);
        double bt = beta.data[bth];
        // exp(g) is a scalar, so it commutes with (I - beta k k^T): decay
        // first, then apply the rank-one update to the decayed state.
        if (g) {
          double decay = std::exp(g->data[bth]);
          for (int64_t e = 0; e < d.Dk * d.Dv; ++e)
            S[e] *= decay;
        }
        // (I - beta k k^T) S + beta k v^T = S + beta k (v - S^T k)^T,
        // with u = S^T k the value the state currently predicts for k.
        std::fill(u.begin(), u.end(), 0.0);
        for (int64_t i = 0; i < d.Dk; ++i)
          for (int64_t j = 0; j < d.Dv; ++j)
            u[j] += kt[i] * S[i * d.Dv + j];
        for (int64_t i = 0; i < d.Dk; ++i)
          for (int64_t j = 0; j < d.Dv; ++j)
            S[i * d.Dv + j] += bt * kt[i] * (vt[j] - u[j]);
        readOut(d, qt, S, scale, &r.o.data[at(d, b, t, h, d.Dv)]);
      }
    }
  return r;
}

//===----------------------------------------------------------------------===//
// Error measure
//===----------------------------------------------------------------------===//

double relativeError(const Array &out, const Array &ref) {
  const double inf = std::numeric_limits<double>::infinity();
  if (out.shape != ref.shape || out.data.size() != ref.data.size())
    return inf;
  double diff2 = 0.0, ref2 = 0.0;
  for (size_t i = 0; i < out.data.size(); ++i) {
    // A NaN (or inf) anywhere is a failure, never a small error.
    if (!std::isfinite(out.data[i]) || !std::isfinite(ref.data[i]))
      return inf;
    double e = out.data[i] - ref.data[i];
    diff2 += e * e;
    ref2 += ref.data[i] * ref.data[i];
  }
  double diff = std::sqrt(diff2);
  return ref2 == 0.0 ? diff : diff / std::sqrt(ref2);
}

double detail::phi(FeatureMap fm, double x) {
  switch (fm) {
  case FeatureMap::Identity:
    return x;
  case FeatureMap::EluPlusOne:
    return x > 0 ? x + 1.0 : std::exp(x); // elu(x) + 1
  case FeatureMap::Relu:
    return x > 0 ? x : 0.0;
  case FeatureMap::Favor:
    break; // needs the whole vector: see features()
  }
  return x;
}

} // namespace attn::reference
