//===- Gradients.cpp - float64 gradients of the linear family -------------===//
//
// Backpropagation through the recurrence, written from the definitions and
// nothing else: the states S_t forward, then D = dL/dS_t backward over t,
//   D_t = D_{t+1} a_{t+1} + scale phi(q_t) dO_t^T   (D_T = dFinalState),
//   dphi(q_t) = scale S_t dO_t,  dphi(k_t) = D_t v_t,  dv_t = D_t^T phi(k_t),
//   dg_t = a_t <D_t, S_{t-1}>    (a_t = exp(g_t)),  dS_0 = a_1 D_1.
// Non-causal linear attention: every output reads the final state.
//
// The delta rule, S_t = P_t + beta_t k_t e_t^T with P_t = a_t S_{t-1} and
// e_t = v_t - P_t^T k_t, backward with x = D_t^T k_t:
//   dv_t = beta_t x,  dbeta_t = x . e_t,  dk_t = beta_t (D_t e_t - P_t x),
//   dP = D_t - beta_t k_t x^T,  dg_t = <dP, P_t>,  D_{t-1} = a_t dP.
//
//===----------------------------------------------------------------------===//
#include "attn/Reference/Reference.h"
#include "ScalarFeatureMap.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace attn::reference {

namespace {

[[noreturn]] void fail(const std::string &msg) {
  throw std::invalid_argument("gradient reference: " + msg);
}

void expectShape(const char *name, const Array &a,
                 const std::vector<int64_t> &shape) {
  if (a.shape != shape || static_cast<int64_t>(a.data.size()) !=
                              a.numElements())
    fail(std::string(name) + " has the wrong shape");
}

double phiGrad(double x, FeatureMap fm) {
  switch (fm) {
  case FeatureMap::Identity:
    return 1;
  case FeatureMap::EluPlusOne:
    return x > 0 ? 1 : std::exp(x);
  case FeatureMap::Relu:
    return x > 0 ? 1 : 0;
  case FeatureMap::Favor:
    break;
  }
  fail("FAVOR+ has no gradient here");
}

} // namespace

GradResult linearFamilyGrad(const Array &q, const Array &k, const Array &v,
                            const Array *g, const Array &dO,
                            const Array *initialState,
                            const Array *dFinalState, FeatureMap featureMap,
                            bool causal, double scale) {
  if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4)
    fail("q, k and v must have rank 4 [B,T,H,D]");
  const int64_t B = q.shape[0], T = q.shape[1], Hq = q.shape[2],
                Dk = q.shape[3], Hkv = k.shape[2], Dv = v.shape[3];
  if (Hkv <= 0 || Hq % Hkv != 0)
    fail("Hq must be a multiple of Hkv");
  const int64_t G = Hq / Hkv;
  expectShape("k", k, {B, T, Hkv, Dk});
  expectShape("v", v, {B, T, Hkv, Dv});
  expectShape("dO", dO, {B, T, Hq, Dv});
  if (g)
    expectShape("g", *g, {B, T, Hq});
  if (initialState)
    expectShape("initialState", *initialState, {B, Hq, Dk, Dv});
  if (dFinalState)
    expectShape("dFinalState", *dFinalState, {B, Hq, Dk, Dv});
  if (g && !causal)
    fail("a gate needs causal");
  if (featureMap == FeatureMap::Favor)
    fail("FAVOR+ has no gradient here");

  GradResult r{Array({B, T, Hq, Dk}), Array({B, T, Hkv, Dk}),
               Array({B, T, Hkv, Dv}), g ? Array({B, T, Hq}) : Array(),
               initialState ? Array({B, Hq, Dk, Dv}) : Array()};
  const int64_t SS = Dk * Dv;
  auto qAt = [&](int64_t b, int64_t t, int64_t h) {
    return ((b * T + t) * Hq + h);
  };
  auto kvAt = [&](int64_t b, int64_t t, int64_t h) {
    return ((b * T + t) * Hkv + h / G);
  };
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < Hq; ++h) {
      // phi(q), phi(k), the decays and the states S_0..S_T (S_0 initial).
      std::vector<double> pq(T * Dk), pk(T * Dk), a(T, 1.0);
      for (int64_t t = 0; t < T; ++t) {
        for (int64_t i = 0; i < Dk; ++i) {
          pq[t * Dk + i] = detail::phi(featureMap, q.data[qAt(b, t, h) * Dk + i]);
          pk[t * Dk + i] = detail::phi(featureMap, k.data[kvAt(b, t, h) * Dk + i]);
        }
        if (g)
          a[t] = std::exp(g->data[qAt(b, t, h)]);
      }
      const double *vbh = v.data.data(), *dobh = dO.data.data();
      std::vector<double> states((T + 1) * SS, 0.0);
      if (initialState)
        for (int64_t e = 0; e < SS; ++e)
          states[e] = initialState->data[(b * Hq + h) * SS + e];
      for (int64_t t = 0; t < T; ++t)
        for (int64_t i = 0; i < Dk; ++i)
          for (int64_t j = 0; j < Dv; ++j)
            states[(t + 1) * SS + i * Dv + j] =
                a[t] * states[t * SS + i * Dv + j] +
                pk[t * Dk + i] * vbh[kvAt(b, t, h) * Dv + j];
      const double *finalS = &states[T * SS];

      std::vector<double> D(SS, 0.0);
      if (dFinalState)
        for (int64_t e = 0; e < SS; ++e)
          D[e] = dFinalState->data[(b * Hq + h) * SS + e];
      if (!causal)
        // Every output reads the final state: D = scale sum_t phi(q_t) dO_t^T.
        for (int64_t t = 0; t < T; ++t)
          for (int64_t i = 0; i < Dk; ++i)
            for (int64_t j = 0; j < Dv; ++j)
              D[i * Dv + j] +=
                  scale * pq[t * Dk + i] * dobh[qAt(b, t, h) * Dv + j];
      for (int64_t t = T - 1; t >= 0; --t) {
        const double *St = causal ? &states[(t + 1) * SS] : finalS;
        const double *dot = &dobh[qAt(b, t, h) * Dv];
        const double *vt = &vbh[kvAt(b, t, h) * Dv];
        if (causal)
          for (int64_t i = 0; i < Dk; ++i)
            for (int64_t j = 0; j < Dv; ++j)
              D[i * Dv + j] += scale * pq[t * Dk + i] * dot[j];
        for (int64_t i = 0; i < Dk; ++i) {
          double dqi = 0, dki = 0;
          for (int64_t j = 0; j < Dv; ++j) {
            dqi += St[i * Dv + j] * dot[j];
            dki += D[i * Dv + j] * vt[j];
          }
          r.dq.data[qAt(b, t, h) * Dk + i] =
              scale * dqi * phiGrad(q.data[qAt(b, t, h) * Dk + i], featureMap);
          r.dk.data[kvAt(b, t, h) * Dk + i] +=
              dki * phiGrad(k.data[kvAt(b, t, h) * Dk + i], featureMap);
        }
        for (int64_t j = 0; j < Dv; ++j) {
          double dvj = 0;
          for (int64_t i = 0; i < Dk; ++i)
            dvj += D[i * Dv + j] * pk[t * Dk + i];
          r.dv.data[kvAt(b, t, h) * Dv + j] += dvj;
        }
        if (g) {
          double dot2 = 0;
          for (int64_t e = 0; e < SS; ++e)
            dot2 += D[e] * states[t * SS + e];
          r.dg.data[qAt(b, t, h)] = a[t] * dot2;
        }
        for (double &e : D)
          e *= a[t];
      }
      if (initialState)
        for (int64_t e = 0; e < SS; ++e)
          r.dInitialState.data[(b * Hq + h) * SS + e] = D[e];
    }
  return r;
}

DeltaGradResult deltaRuleGrad(const Array &q, const Array &k, const Array &v,
                              const Array &beta, const Array *g,
                              const Array &dO, const Array *initialState,
                              const Array *dFinalState, double scale) {
  if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4)
    fail("q, k and v must have rank 4 [B,T,H,D]");
  const int64_t B = q.shape[0], T = q.shape[1], Hq = q.shape[2],
                Dk = q.shape[3], Hkv = k.shape[2], Dv = v.shape[3];
  if (Hkv <= 0 || Hq % Hkv != 0)
    fail("Hq must be a multiple of Hkv");
  const int64_t G = Hq / Hkv, SS = Dk * Dv;
  expectShape("k", k, {B, T, Hkv, Dk});
  expectShape("v", v, {B, T, Hkv, Dv});
  expectShape("beta", beta, {B, T, Hq});
  expectShape("dO", dO, {B, T, Hq, Dv});
  if (g)
    expectShape("g", *g, {B, T, Hq});
  if (initialState)
    expectShape("initialState", *initialState, {B, Hq, Dk, Dv});
  if (dFinalState)
    expectShape("dFinalState", *dFinalState, {B, Hq, Dk, Dv});

  DeltaGradResult r{{Array({B, T, Hq, Dk}), Array({B, T, Hkv, Dk}),
                     Array({B, T, Hkv, Dv}), g ? Array({B, T, Hq}) : Array(),
                     initialState ? Array({B, Hq, Dk, Dv}) : Array()},
                    Array({B, T, Hq})};
  GradResult &out = r.grads;
  auto qAt = [&](int64_t b, int64_t t, int64_t h) {
    return ((b * T + t) * Hq + h);
  };
  auto kvAt = [&](int64_t b, int64_t t, int64_t h) {
    return ((b * T + t) * Hkv + h / G);
  };
  std::vector<double> x(Dv);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < Hq; ++h) {
      // Forward: S_t (states[t + 1]), P_t and e_t.
      std::vector<double> states((T + 1) * SS, 0.0), pre(T * SS), e(T * Dv),
          a(T, 1.0);
      if (initialState)
        for (int64_t i = 0; i < SS; ++i)
          states[i] = initialState->data[(b * Hq + h) * SS + i];
      for (int64_t t = 0; t < T; ++t) {
        if (g)
          a[t] = std::exp(g->data[qAt(b, t, h)]);
        const double *kt = &k.data[kvAt(b, t, h) * Dk];
        const double *vt = &v.data[kvAt(b, t, h) * Dv];
        double bt = beta.data[qAt(b, t, h)];
        double *P = &pre[t * SS];
        for (int64_t i = 0; i < SS; ++i)
          P[i] = a[t] * states[t * SS + i];
        for (int64_t j = 0; j < Dv; ++j) {
          double pk = 0;
          for (int64_t i = 0; i < Dk; ++i)
            pk += P[i * Dv + j] * kt[i];
          e[t * Dv + j] = vt[j] - pk;
        }
        for (int64_t i = 0; i < Dk; ++i)
          for (int64_t j = 0; j < Dv; ++j)
            states[(t + 1) * SS + i * Dv + j] =
                P[i * Dv + j] + bt * kt[i] * e[t * Dv + j];
      }
      // Backward over t, D = dL/dS_t.
      std::vector<double> D(SS, 0.0);
      if (dFinalState)
        for (int64_t i = 0; i < SS; ++i)
          D[i] = dFinalState->data[(b * Hq + h) * SS + i];
      for (int64_t t = T - 1; t >= 0; --t) {
        const double *qt = &q.data[qAt(b, t, h) * Dk];
        const double *kt = &k.data[kvAt(b, t, h) * Dk];
        const double *dot = &dO.data[qAt(b, t, h) * Dv];
        const double *St = &states[(t + 1) * SS], *P = &pre[t * SS];
        const double *et = &e[t * Dv];
        double bt = beta.data[qAt(b, t, h)];
        for (int64_t i = 0; i < Dk; ++i) {
          double dq = 0;
          for (int64_t j = 0; j < Dv; ++j) {
            dq += St[i * Dv + j] * dot[j];
            D[i * Dv + j] += scale * qt[i] * dot[j];
          }
          out.dq.data[qAt(b, t, h) * Dk + i] = scale * dq;
        }
        double db = 0;
        for (int64_t j = 0; j < Dv; ++j) {
          x[j] = 0;
          for (int64_t i = 0; i < Dk; ++i)
            x[j] += D[i * Dv + j] * kt[i];
          out.dv.data[kvAt(b, t, h) * Dv + j] += bt * x[j];
          db += x[j] * et[j];
        }
        r.dbeta.data[qAt(b, t, h)] = db;
        for (int64_t i = 0; i < Dk; ++i) {
          double de = 0, px = 0;
          for (int64_t j = 0; j < Dv; ++j) {
            de += D[i * Dv + j] * et[j];
            px += P[i * Dv + j] * x[j];
          }
          out.dk.data[kvAt(b, t, h) * Dk + i] += bt * (de - px);
        }
        double dg = 0;
        for (int64_t i = 0; i < Dk; ++i)
          for (int64_t j = 0; j < Dv; ++j) {
            double d = D[i * Dv + j] - bt * kt[i] * x[j];
            dg += d * P[i * Dv + j];
            D[i * Dv + j] = a[t] * d;
          }
        if (g)
          out.dg.data[qAt(b, t, h)] = dg;
      }
      if (initialState)
        for (int64_t i = 0; i < SS; ++i)
          out.dInitialState.data[(b * Hq + h) * SS + i] = D[i];
    }
  return r;
}

GradResult softmaxAttentionGrad(const Array &q, const Array &k,
                                const Array &v, const Array &dO, bool causal,
                                double scale, int64_t window) {
  if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4)
    fail("q, k and v must have rank 4 [B,T,H,D]");
  const int64_t B = q.shape[0], Tq = q.shape[1], Hq = q.shape[2],
                Dk = q.shape[3], Tk = k.shape[1], Hkv = k.shape[2],
                Dv = v.shape[3];
  if (Hkv <= 0 || Hq % Hkv != 0)
    fail("Hq must be a multiple of Hkv");
  const int64_t G = Hq / Hkv;
  expectShape("k", k, {B, Tk, Hkv, Dk});
  expectShape("v", v, {B, Tk, Hkv, Dv});
  expectShape("dO", dO, {B, Tq, Hq, Dv});
  GradResult r{Array({B, Tq, Hq, Dk}), Array({B, Tk, Hkv, Dk}),
               Array({B, Tk, Hkv, Dv}), Array(), Array()};
  std::vector<double> p(Tk), dp(Tk);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < Hq; ++h)
      for (int64_t t = 0; t < Tq; ++t) {
        const double *qt = &q.data[((b * Tq + t) * Hq + h) * Dk];
        const double *dot = &dO.data[((b * Tq + t) * Hq + h) * Dv];
        const int64_t pos = t + (Tk - Tq);
        // The weights of query t over the keys it sees.
        double mx = -INFINITY;
        std::vector<bool> seen(Tk);
        for (int64_t s = 0; s < Tk; ++s) {
          seen[s] = !causal || (s <= pos && (window <= 0 || s > pos - window));
          if (!seen[s])
            continue;
          const double *ks = &k.data[((b * Tk + s) * Hkv + h / G) * Dk];
          double dotqk = 0;
          for (int64_t d = 0; d < Dk; ++d)
            dotqk += qt[d] * ks[d];
          p[s] = scale * dotqk;
          mx = std::max(mx, p[s]);
        }
        double sum = 0;
        for (int64_t s = 0; s < Tk; ++s) {
          p[s] = seen[s] ? std::exp(p[s] - mx) : 0.0;
          sum += p[s];
        }
        double delta = 0;
        for (int64_t s = 0; s < Tk; ++s) {
          p[s] = sum > 0 ? p[s] / sum : 0.0;
          const double *vs = &v.data[((b * Tk + s) * Hkv + h / G) * Dv];
          dp[s] = 0;
          for (int64_t j = 0; j < Dv; ++j)
            dp[s] += dot[j] * vs[j];
          delta += p[s] * dp[s];
        }
        double *dqt = &r.dq.data[((b * Tq + t) * Hq + h) * Dk];
        for (int64_t s = 0; s < Tk; ++s) {
          if (p[s] == 0)
            continue;
          double ds = scale * p[s] * (dp[s] - delta);
          const int64_t kv = (b * Tk + s) * Hkv + h / G;
          for (int64_t d = 0; d < Dk; ++d) {
            dqt[d] += ds * k.data[kv * Dk + d];
            r.dk.data[kv * Dk + d] += ds * qt[d];
          }
          for (int64_t j = 0; j < Dv; ++j)
            r.dv.data[kv * Dv + j] += p[s] * dot[j];
        }
      }
  return r;
}

} // namespace attn::reference
