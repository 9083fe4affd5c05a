//===- ReferenceTest.cpp - tests of the float64 reference -----------------===//
//
// Tiny cases worked out by hand (the arithmetic is in the comments), then
// properties that tie the ops together on random inputs.
//
//===----------------------------------------------------------------------===//

#include "attn/Reference/Reference.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>

using namespace attn::reference;

namespace {

constexpr double kTol = 1e-12;

void expectNear(const Array &a, const std::vector<int64_t> &shape,
                const std::vector<double> &expected, double tol = kTol) {
  ASSERT_EQ(a.shape, shape);
  ASSERT_EQ(a.data.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(a.data[i], expected[i], tol) << "at flat index " << i;
}

void expectClose(const Array &a, const Array &b, double tol = 1e-12) {
  ASSERT_EQ(a.shape, b.shape);
  EXPECT_LT(relativeError(a, b), tol);
}

Array randomArray(std::vector<int64_t> shape, std::mt19937 &rng,
                  double lo = -1.0, double hi = 1.0) {
  Array a(std::move(shape));
  std::uniform_real_distribution<double> dist(lo, hi);
  for (double &x : a.data)
    x = dist(rng);
  return a;
}

/// The (b,h) slice of a [B,T,H,...] array as a [1,T,1,...] array.
Array sliceBH(const Array &a, int64_t b, int64_t h) {
  std::vector<int64_t> shape = a.shape;
  int64_t T = shape[1], H = shape[2];
  int64_t D = shape.size() > 3 ? shape[3] : 1;
  shape[0] = 1;
  shape[2] = 1;
  Array r(shape);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t d = 0; d < D; ++d)
      r.data[t * D + d] = a.data[((b * T + t) * H + h) * D + d];
  return r;
}

/// The (b,h) slice of a [B,H,Dk,Dv] state as a [1,1,Dk,Dv] state.
Array sliceState(const Array &s, int64_t b, int64_t h) {
  int64_t H = s.shape[1], n = s.shape[2] * s.shape[3];
  Array r({1, 1, s.shape[2], s.shape[3]});
  for (int64_t i = 0; i < n; ++i)
    r.data[i] = s.data[(b * H + h) * n + i];
  return r;
}

// Shorthand for a [1,T,1,D] array given as T*D numbers.
Array seq(int64_t T, int64_t D, std::vector<double> values) {
  return Array({1, T, 1, D}, std::move(values));
}

} // namespace

//===----------------------------------------------------------------------===//
// Array and relativeError
//===----------------------------------------------------------------------===//

TEST(ReferenceArray, ConstructAndCount) {
  Array a({2, 3, 4});
  EXPECT_EQ(a.numElements(), 24);
  EXPECT_EQ(a.rank(), 3);
  EXPECT_EQ(a.data, std::vector<double>(24, 0.0));
  Array s(std::vector<int64_t>{}); // a scalar holds one element
  EXPECT_EQ(s.numElements(), 1);
  EXPECT_THROW(Array({2, 2}, {1, 2, 3}), std::invalid_argument);
  EXPECT_THROW(Array({-1, 2}), std::invalid_argument);
}

TEST(ReferenceRelativeError, Values) {
  Array ref({2}, {3, 4});         // ||ref|| = 5
  Array out({2}, {3, 4 + 0.5});   // ||out - ref|| = 0.5
  EXPECT_DOUBLE_EQ(relativeError(out, ref), 0.1);
  EXPECT_DOUBLE_EQ(relativeError(ref, ref), 0.0);
  Array zero({2});
  EXPECT_DOUBLE_EQ(relativeError(out, zero), std::sqrt(9 + 4.5 * 4.5));
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(relativeError(Array({3}), ref), inf);
  EXPECT_EQ(relativeError(Array({2, 1}), ref), inf);
  Array nan({2}, {std::nan(""), 4});
  EXPECT_EQ(relativeError(nan, ref), inf);
  EXPECT_EQ(relativeError(ref, nan), inf);
}

//===----------------------------------------------------------------------===//
// Softmax attention
//===----------------------------------------------------------------------===//

// D=1, scale 0.5, q = [2 ln3, 0], k = [0, 1], v = [1, 5].
// Non-causal: row 1 scores [0, ln3] -> weights [1/4, 3/4] -> o = 1/4 + 15/4 = 4
//             row 2 scores [0, 0]   -> weights [1/2, 1/2] -> o = 3.
// Causal:     row 1 sees only s=1   -> o = v_1 = 1; row 2 as above, o = 3.
TEST(ReferenceSoftmax, HandComputed) {
  Array q = seq(2, 1, {2 * std::log(3.0), 0});
  Array k = seq(2, 1, {0, 1});
  Array v = seq(2, 1, {1, 5});
  expectNear(softmaxAttention(q, k, v, false, 0.5), {1, 2, 1, 1}, {4, 3});
  expectNear(softmaxAttention(q, k, v, true, 0.5), {1, 2, 1, 1}, {1, 3});
}

// D=2 checks the dot product and Dv=2 the weighted sum of vectors.
// q_1 = (ln2, ln2), k = (1,0), (0,1), (1,1): scores [ln2, ln2, 2 ln2], scale 1
// -> exp = [2, 2, 4] / 8 -> weights [1/4, 1/4, 1/2];
// v = (1,0), (0,1), (2,2) -> o_1 = (1/4 + 1, 1/4 + 1) = (1.25, 1.25).
TEST(ReferenceSoftmax, HandComputedD2) {
  double l = std::log(2.0);
  Array q = seq(1, 2, {l, l});
  Array k = Array({1, 3, 1, 2}, {1, 0, 0, 1, 1, 1});
  Array v = Array({1, 3, 1, 2}, {1, 0, 0, 1, 2, 2});
  expectNear(softmaxAttention(q, k, v, false, 1.0), {1, 1, 1, 2},
             {1.25, 1.25});
  // Tq = 1 < Tk = 3 causal: the single query is the last position, sees all.
  expectNear(softmaxAttention(q, k, v, true, 1.0), {1, 1, 1, 2},
             {1.25, 1.25});
}

// Tq = 2 < Tk = 3, D=1, scale 1, k = [0, 1, 2], v = [1, 5, 9], q = [ln3, 0].
// Causal: query t sees s <= t + 1.
//   t=0: scores [0, ln3] -> [1/4, 3/4] -> o = 1/4 + 15/4 = 4
//   t=1: scores [0, 0, 0] -> mean of v = 5
// Non-causal t=0: scores [0, ln3, 2 ln3] -> [1, 3, 9]/13 -> (1+15+81)/13.
TEST(ReferenceSoftmax, FewerQueriesThanKeys) {
  Array q = seq(2, 1, {std::log(3.0), 0});
  Array k = seq(3, 1, {0, 1, 2});
  Array v = seq(3, 1, {1, 5, 9});
  expectNear(softmaxAttention(q, k, v, true, 1.0), {1, 2, 1, 1}, {4, 5});
  expectNear(softmaxAttention(q, k, v, false, 1.0), {1, 2, 1, 1},
             {97.0 / 13.0, 5});
}

// Causal with Tq = 3 > Tk = 2: query t sees s <= t - 1, so query 0 sees no
// key and gives 0; query 1 sees s = 0 (o = v_0 = 7); query 2 sees both.
TEST(ReferenceSoftmax, MoreQueriesThanKeysCausal) {
  Array q = seq(3, 1, {1, 1, 0});
  Array k = seq(2, 1, {1, 2});
  Array v = seq(2, 1, {7, 3});
  expectNear(softmaxAttention(q, k, v, true, 1.0), {1, 3, 1, 1}, {0, 7, 5});
}

// Scores around 1000 overflow exp() unless the row max is subtracted.
// q = 1000, k = [1, 1]: equal scores, o = mean(v) = 2.
TEST(ReferenceSoftmax, StableForLargeScores) {
  Array q = seq(1, 1, {1000});
  Array k = seq(2, 1, {1, 1});
  Array v = seq(2, 1, {1, 3});
  Array o = softmaxAttention(q, k, v, false, 1.0);
  expectNear(o, {1, 1, 1, 1}, {2});
}

TEST(ReferenceSoftmax, CausalLastRowEqualsNonCausalAndDecode) {
  std::mt19937 rng(1);
  Array q = randomArray({2, 5, 3, 4}, rng), k = randomArray({2, 5, 3, 4}, rng);
  Array v = randomArray({2, 5, 3, 6}, rng);
  Array c = softmaxAttention(q, k, v, true, 0.5);
  Array n = softmaxAttention(q, k, v, false, 0.5);
  expectClose(sliceTime(c, 4, 5), sliceTime(n, 4, 5));
  // Decoding the last query against the whole cache gives the same row.
  Array d = softmaxAttention(sliceTime(q, 4, 5), k, v, true, 0.5);
  expectClose(d, sliceTime(c, 4, 5));
  // And a suffix of queries against the full cache gives the same rows.
  Array s = softmaxAttention(sliceTime(q, 2, 5), k, v, true, 0.5);
  expectClose(s, sliceTime(c, 2, 5));
}

//===----------------------------------------------------------------------===//
// Linear attention
//===----------------------------------------------------------------------===//

// Identity, D=1, q = [1, 2], k = [3, 4], v = [5, 6], scale 1.
//   S_1 = 3*5 = 15, o_1 = 15;  S_2 = 15 + 4*6 = 39, o_2 = 2*39 = 78.
//   z_1 = 3, z_2 = 7: normalized o_1 = 15/3 = 5, o_2 = 78/(2*7) = 39/7.
//   Non-causal uses S = 39: o = [39, 78]; normalized [39/7, 39/7].
TEST(ReferenceLinear, IdentityCausalAndNonCausal) {
  Array q = seq(2, 1, {1, 2}), k = seq(2, 1, {3, 4}), v = seq(2, 1, {5, 6});
  auto id = FeatureMap::Identity;
  StateResult r = linearAttention(q, k, v, nullptr, id, false, true, 1.0);
  expectNear(r.o, {1, 2, 1, 1}, {15, 78});
  expectNear(r.finalState, {1, 1, 1, 1}, {39});
  r = linearAttention(q, k, v, nullptr, id, true, true, 1.0);
  expectNear(r.o, {1, 2, 1, 1}, {5, 39.0 / 7});
  expectNear(r.finalState, {1, 1, 1, 1}, {39});
  r = linearAttention(q, k, v, nullptr, id, false, false, 1.0);
  expectNear(r.o, {1, 2, 1, 1}, {39, 78});
  expectNear(r.finalState, {1, 1, 1, 1}, {39});
  r = linearAttention(q, k, v, nullptr, id, true, false, 1.0);
  expectNear(r.o, {1, 2, 1, 1}, {39.0 / 7, 39.0 / 7});
  // scale multiplies the plain output; normalized, it cancels.
  r = linearAttention(q, k, v, nullptr, id, false, true, 0.5);
  expectNear(r.o, {1, 2, 1, 1}, {7.5, 39});
  r = linearAttention(q, k, v, nullptr, id, true, true, 0.5);
  expectNear(r.o, {1, 2, 1, 1}, {5, 39.0 / 7});
}

// Same inputs, initial state 10: S_1 = 25, o_1 = 25; S_2 = 49, o_2 = 98.
// z starts at 0 regardless: normalized o_1 = 25/3, o_2 = 98/(2*7) = 7.
TEST(ReferenceLinear, InitialState) {
  Array q = seq(2, 1, {1, 2}), k = seq(2, 1, {3, 4}), v = seq(2, 1, {5, 6});
  Array s0({1, 1, 1, 1}, {10});
  auto id = FeatureMap::Identity;
  StateResult r = linearAttention(q, k, v, &s0, id, false, true, 1.0);
  expectNear(r.o, {1, 2, 1, 1}, {25, 98});
  expectNear(r.finalState, {1, 1, 1, 1}, {49});
  r = linearAttention(q, k, v, &s0, id, true, true, 1.0);
  expectNear(r.o, {1, 2, 1, 1}, {25.0 / 3, 7});
  r = linearAttention(q, k, v, &s0, id, false, false, 1.0);
  expectNear(r.o, {1, 2, 1, 1}, {49, 98});
}

// Dk = Dv = 2 pins the orientation: S = sum k v^T (rows are key dims),
// o = q^T S (a combination of rows).
//   k_1 = (1,2), v_1 = (3,4): S_1 = [[3,4],[6,8]]; q_1 = (1,0): o_1 = (3,4)
//   k_2 = (1,0), v_2 = (1,1): S_2 = [[4,5],[6,8]]; q_2 = (0,1): o_2 = (6,8)
TEST(ReferenceLinear, OuterProductOrientation) {
  Array q = seq(2, 2, {1, 0, 0, 1}), k = seq(2, 2, {1, 2, 1, 0});
  Array v = seq(2, 2, {3, 4, 1, 1});
  StateResult r = linearAttention(q, k, v, nullptr, FeatureMap::Identity,
                                  false, true, 1.0);
  expectNear(r.o, {1, 2, 1, 2}, {3, 4, 6, 8});
  expectNear(r.finalState, {1, 1, 2, 2}, {4, 5, 6, 8});
}

// elu+1: phi(x) = x + 1 for x > 0, exp(x) otherwise.
// q = [1, -1] -> [2, e^-1]; k = [0, -2] -> [1, e^-2]; v = [5, 6].
//   S_1 = 5, o_1 = 2*5 = 10;  S_2 = 5 + 6 e^-2, o_2 = e^-1 (5 + 6 e^-2).
//   Normalized: z_1 = 1, o_1 = 5; z_2 = 1 + e^-2, o_2 = (5 + 6e^-2)/(1 + e^-2).
TEST(ReferenceLinear, EluPlusOne) {
  Array q = seq(2, 1, {1, -1}), k = seq(2, 1, {0, -2}), v = seq(2, 1, {5, 6});
  double e1 = std::exp(-1.0), e2 = std::exp(-2.0);
  auto fm = FeatureMap::EluPlusOne;
  StateResult r = linearAttention(q, k, v, nullptr, fm, false, true, 1.0);
  expectNear(r.o, {1, 2, 1, 1}, {10, e1 * (5 + 6 * e2)});
  expectNear(r.finalState, {1, 1, 1, 1}, {5 + 6 * e2});
  r = linearAttention(q, k, v, nullptr, fm, true, true, 1.0);
  expectNear(r.o, {1, 2, 1, 1}, {5, (5 + 6 * e2) / (1 + e2)});
}

// relu: q = [1, 2] -> [1, 2]; k = [2, -3] -> [2, 0]; v = [5, 6].
//   S_1 = 10, o_1 = 10; S_2 = 10 (k_2 contributes nothing), o_2 = 20.
//   Normalized: z = 2 both steps: o_1 = 10/2 = 5, o_2 = 20/4 = 5.
//   q_2 = -1 would give phi(q_2) = 0 and o_2 = 0.
TEST(ReferenceLinear, Relu) {
  Array q = seq(2, 1, {1, 2}), k = seq(2, 1, {2, -3}), v = seq(2, 1, {5, 6});
  auto fm = FeatureMap::Relu;
  StateResult r = linearAttention(q, k, v, nullptr, fm, false, true, 1.0);
  expectNear(r.o, {1, 2, 1, 1}, {10, 20});
  expectNear(r.finalState, {1, 1, 1, 1}, {10});
  r = linearAttention(q, k, v, nullptr, fm, true, true, 1.0);
  expectNear(r.o, {1, 2, 1, 1}, {5, 5});
  Array qn = seq(2, 1, {1, -1});
  r = linearAttention(qn, k, v, nullptr, fm, false, true, 1.0);
  expectNear(r.o, {1, 2, 1, 1}, {10, 0});
}

// Non-causal: every row is phi(q_t)^T S_T, and S_T is the causal final state.
TEST(ReferenceLinear, NonCausalUsesFinalState) {
  std::mt19937 rng(2);
  Array q = randomArray({1, 6, 2, 3}, rng), k = randomArray({1, 6, 2, 3}, rng);
  Array v = randomArray({1, 6, 2, 4}, rng);
  Array s0 = randomArray({1, 2, 3, 4}, rng);
  for (auto fm : {FeatureMap::Identity, FeatureMap::EluPlusOne}) {
    StateResult c = linearAttention(q, k, v, &s0, fm, false, true, 0.7);
    StateResult n = linearAttention(q, k, v, &s0, fm, false, false, 0.7);
    expectClose(c.finalState, n.finalState);
    // The last causal row already reads S_T.
    expectClose(sliceTime(c.o, 5, 6), sliceTime(n.o, 5, 6));
    // Each non-causal row equals a 1-step causal run from S_T that adds a
    // zero value (phi(k) 0^T = 0), so it reads exactly S_T.
    Array zk({1, 1, 2, 3}), zv({1, 1, 2, 4});
    for (int64_t t = 0; t < 6; ++t) {
        StateResult one = linearAttention(sliceTime(q, t, t + 1), zk, zv,
                                          &n.finalState, fm, false, true, 0.7);
        expectClose(one.o, sliceTime(n.o, t, t + 1));
      }
  }
}

//===----------------------------------------------------------------------===//
// Gated linear attention
//===----------------------------------------------------------------------===//

// Scalar gate, D=1, g = [ln 1/2, ln 1/2], q = k = [1, 1], v = [2, 4].
//   From S_0 = 8: S_1 = 8/2 + 2 = 6, o_1 = 6; S_2 = 6/2 + 4 = 7, o_2 = 7.
//   From zero:    S_1 = 2, o_1 = 2;          S_2 = 2/2 + 4 = 5, o_2 = 5.
TEST(ReferenceGated, ScalarGate) {
  double h = std::log(0.5);
  Array q = seq(2, 1, {1, 1}), k = seq(2, 1, {1, 1}), v = seq(2, 1, {2, 4});
  Array g({1, 2, 1}, {h, h});
  Array s0({1, 1, 1, 1}, {8});
  StateResult r = gatedLinearAttention(q, k, v, g, &s0, 1.0);
  expectNear(r.o, {1, 2, 1, 1}, {6, 7});
  expectNear(r.finalState, {1, 1, 1, 1}, {7});
  r = gatedLinearAttention(q, k, v, g, nullptr, 2.0);
  expectNear(r.o, {1, 2, 1, 1}, {4, 10});
  expectNear(r.finalState, {1, 1, 1, 1}, {5});
}

// Vector gate decays row i of S by exp(g_i). Dk = 2, Dv = 1,
// g_t = (0, ln 1/2), k = (1, 1), v = [2, 4], q_1 = (1, 0), q_2 = (0, 1).
//   S_1 = (2, 2),           o_1 = row 0 = 2
//   S_2 = (2 + 4, 2/2 + 4) = (6, 5), o_2 = row 1 = 5.
TEST(ReferenceGated, VectorGate) {
  double h = std::log(0.5);
  Array q = seq(2, 2, {1, 0, 0, 1}), k = seq(2, 2, {1, 1, 1, 1});
  Array v = seq(2, 1, {2, 4});
  Array g({1, 2, 1, 2}, {0, h, 0, h});
  StateResult r = gatedLinearAttention(q, k, v, g, nullptr, 1.0);
  expectNear(r.o, {1, 2, 1, 1}, {2, 5});
  expectNear(r.finalState, {1, 1, 2, 1}, {6, 5});
}

TEST(ReferenceGated, ZeroGateEqualsLinearIdentity) {
  std::mt19937 rng(3);
  Array q = randomArray({2, 7, 3, 4}, rng), k = randomArray({2, 7, 3, 4}, rng);
  Array v = randomArray({2, 7, 3, 5}, rng);
  Array s0 = randomArray({2, 3, 4, 5}, rng);
  StateResult lin = linearAttention(q, k, v, &s0, FeatureMap::Identity, false,
                                    true, 0.5);
  for (const Array &g : {Array({2, 7, 3}), Array({2, 7, 3, 4})}) {
    StateResult gl = gatedLinearAttention(q, k, v, g, &s0, 0.5);
    expectClose(gl.o, lin.o);
    expectClose(gl.finalState, lin.finalState);
  }
}

TEST(ReferenceGated, ScalarGateEqualsConstantVectorGate) {
  std::mt19937 rng(4);
  Array q = randomArray({1, 5, 2, 3}, rng), k = randomArray({1, 5, 2, 3}, rng);
  Array v = randomArray({1, 5, 2, 2}, rng);
  Array gs = randomArray({1, 5, 2}, rng, -1.0, 0.0);
  Array gv({1, 5, 2, 3});
  for (size_t i = 0; i < gs.data.size(); ++i)
    for (int j = 0; j < 3; ++j)
      gv.data[i * 3 + j] = gs.data[i];
  StateResult a = gatedLinearAttention(q, k, v, gs, nullptr, 1.0);
  StateResult b = gatedLinearAttention(q, k, v, gv, nullptr, 1.0);
  expectClose(a.o, b.o);
  expectClose(a.finalState, b.finalState);
}

//===----------------------------------------------------------------------===//
// Delta rule and gated delta rule
//===----------------------------------------------------------------------===//

// Dk = 2, Dv = 1, S_0 = (1, 2), q = (1, 1) both steps, scale 1.
//   t=1: k = (1,0), v = 5, beta = 1: (I - k k^T) S_0 = (0, 2), + k v = (5, 2);
//        o_1 = 5 + 2 = 7.
//   t=2: k = (0,1), v = 3, beta = 1/2: k^T S = 2, S += 1/2 k (3 - 2) = (5, 2.5);
//        o_2 = 7.5.
TEST(ReferenceDelta, HandComputed) {
  Array q = seq(2, 2, {1, 1, 1, 1}), k = seq(2, 2, {1, 0, 0, 1});
  Array v = seq(2, 1, {5, 3});
  Array beta({1, 2, 1}, {1, 0.5});
  Array s0({1, 1, 2, 1}, {1, 2});
  StateResult r = deltaRule(q, k, v, beta, nullptr, &s0, 1.0);
  expectNear(r.o, {1, 2, 1, 1}, {7, 7.5});
  expectNear(r.finalState, {1, 1, 2, 1}, {5, 2.5});
}

// beta = 1 with a unit key overwrites the state: D=1, k = 1, S_t = v_t,
// o_t = q_t v_t = [2*3, 5*(-1)] = [6, -5] whatever S_0 was.
// beta = 0 leaves S_0 = 4 untouched: o = q S_0 = [8, 20].
TEST(ReferenceDelta, BetaOneAndZero) {
  Array q = seq(2, 1, {2, 5}), k = seq(2, 1, {1, 1}), v = seq(2, 1, {3, -1});
  Array s0({1, 1, 1, 1}, {4});
  Array one({1, 2, 1}, {1, 1}), zero({1, 2, 1});
  StateResult r = deltaRule(q, k, v, one, nullptr, &s0, 1.0);
  expectNear(r.o, {1, 2, 1, 1}, {6, -5});
  expectNear(r.finalState, {1, 1, 1, 1}, {-1});
  r = deltaRule(q, k, v, zero, nullptr, &s0, 1.0);
  expectNear(r.o, {1, 2, 1, 1}, {8, 20});
  expectNear(r.finalState, {1, 1, 1, 1}, {4});
}

// A non-unit key: D=1, k = 2, beta = 1/2, q = 1, from S_0 = 0.
//   t=1: S = (1 - 1/2*4)*0 + 1/2*2*1 = 1 (v = 1);   o_1 = 1
//   t=2: S = (1 - 2)*1 + 1/2*2*3 = 2 (v = 3);       o_2 = 2
TEST(ReferenceDelta, NonUnitKey) {
  Array q = seq(2, 1, {1, 1}), k = seq(2, 1, {2, 2}), v = seq(2, 1, {1, 3});
  Array beta({1, 2, 1}, {0.5, 0.5});
  StateResult r = deltaRule(q, k, v, beta, nullptr, nullptr, 1.0);
  expectNear(r.o, {1, 2, 1, 1}, {1, 2});
}

// Gated: S_t = exp(g_t) (I - beta k k^T) S_{t-1} + beta k v^T, g = ln 1/2.
// Same inputs as HandComputed, S_0 = (1, 2), q = (1, 1):
//   t=1: decayed (0.5, 1); k = (1,0), beta 1: row 0 := 5 -> S = (5, 1); o = 6
//   t=2: decayed (2.5, 0.5); k = (0,1), beta 1/2, v = 3:
//        k^T S = 0.5, row 1 += 1/2 (3 - 0.5) -> S = (2.5, 1.75); o = 4.25
TEST(ReferenceGatedDelta, HandComputed) {
  double h = std::log(0.5);
  Array q = seq(2, 2, {1, 1, 1, 1}), k = seq(2, 2, {1, 0, 0, 1});
  Array v = seq(2, 1, {5, 3});
  Array beta({1, 2, 1}, {1, 0.5}), g({1, 2, 1}, {h, h});
  Array s0({1, 1, 2, 1}, {1, 2});
  StateResult r = deltaRule(q, k, v, beta, &g, &s0, 1.0);
  expectNear(r.o, {1, 2, 1, 1}, {6, 4.25});
  expectNear(r.finalState, {1, 1, 2, 1}, {2.5, 1.75});
}

TEST(ReferenceGatedDelta, ZeroGateEqualsDeltaRule) {
  std::mt19937 rng(5);
  Array q = randomArray({2, 6, 2, 4}, rng), k = randomArray({2, 6, 2, 4}, rng);
  Array v = randomArray({2, 6, 2, 3}, rng);
  Array beta = randomArray({2, 6, 2}, rng, 0.0, 1.0);
  Array s0 = randomArray({2, 2, 4, 3}, rng);
  Array g({2, 6, 2});
  StateResult a = deltaRule(q, k, v, beta, &g, &s0, 0.5);
  StateResult b = deltaRule(q, k, v, beta, nullptr, &s0, 0.5);
  expectClose(a.o, b.o);
  expectClose(a.finalState, b.finalState);
}

// With beta = 0 the gated delta rule only decays: S_T = exp(sum g) S_0.
TEST(ReferenceGatedDelta, BetaZeroOnlyDecays) {
  std::mt19937 rng(6);
  Array q = randomArray({1, 4, 1, 2}, rng), k = randomArray({1, 4, 1, 2}, rng);
  Array v = randomArray({1, 4, 1, 2}, rng);
  Array g = randomArray({1, 4, 1}, rng, -1.0, 0.0);
  Array s0 = randomArray({1, 1, 2, 2}, rng);
  StateResult r = deltaRule(q, k, v, Array({1, 4, 1}), &g, &s0, 1.0);
  double decay = std::exp(g.data[0] + g.data[1] + g.data[2] + g.data[3]);
  Array expected = s0;
  for (double &x : expected.data)
    x *= decay;
  expectClose(r.finalState, expected);
}

//===----------------------------------------------------------------------===//
// Properties across ops
//===----------------------------------------------------------------------===//

namespace {

struct Inputs {
  Array q, k, v, beta, gs, gv, s0;
};

Inputs makeInputs(std::mt19937 &rng, int64_t B, int64_t T, int64_t H,
                  int64_t Dk, int64_t Dv) {
  Inputs in;
  in.q = randomArray({B, T, H, Dk}, rng);
  // Keys scaled down so the delta rule stays a contraction.
  in.k = randomArray({B, T, H, Dk}, rng, -0.4, 0.4);
  in.v = randomArray({B, T, H, Dv}, rng);
  in.beta = randomArray({B, T, H}, rng, 0.0, 1.0);
  in.gs = randomArray({B, T, H}, rng, -0.5, 0.0);
  in.gv = randomArray({B, T, H, Dk}, rng, -0.5, 0.0);
  in.s0 = randomArray({B, H, Dk, Dv}, rng);
  return in;
}

/// Every linear-family configuration, as a function of (time range, initial
/// state) so the split property can run each the same way. `outputsSplit`:
/// whether outputs of the second half also match (normalization restarts z).
struct Variant {
  const char *name;
  bool outputsSplit;
  StateResult (*run)(const Inputs &, int64_t, int64_t, const Array *);
};

StateResult runLinear(const Inputs &in, int64_t t0, int64_t t1,
                      const Array *s0, FeatureMap fm, bool normalize) {
  return linearAttention(sliceTime(in.q, t0, t1), sliceTime(in.k, t0, t1),
                         sliceTime(in.v, t0, t1), s0, fm, normalize, true,
                         0.5);
}

const Variant kVariants[] = {
    {"linear identity", true,
     [](const Inputs &in, int64_t a, int64_t b, const Array *s) {
       return runLinear(in, a, b, s, FeatureMap::Identity, false);
     }},
    {"linear elu+1", true,
     [](const Inputs &in, int64_t a, int64_t b, const Array *s) {
       return runLinear(in, a, b, s, FeatureMap::EluPlusOne, false);
     }},
    {"linear relu", true,
     [](const Inputs &in, int64_t a, int64_t b, const Array *s) {
       return runLinear(in, a, b, s, FeatureMap::Relu, false);
     }},
    {"linear elu+1 normalized", false,
     [](const Inputs &in, int64_t a, int64_t b, const Array *s) {
       return runLinear(in, a, b, s, FeatureMap::EluPlusOne, true);
     }},
    {"gated scalar", true,
     [](const Inputs &in, int64_t a, int64_t b, const Array *s) {
       return gatedLinearAttention(sliceTime(in.q, a, b),
                                   sliceTime(in.k, a, b),
                                   sliceTime(in.v, a, b),
                                   sliceTime(in.gs, a, b), s, 0.5);
     }},
    {"gated vector", true,
     [](const Inputs &in, int64_t a, int64_t b, const Array *s) {
       return gatedLinearAttention(sliceTime(in.q, a, b),
                                   sliceTime(in.k, a, b),
                                   sliceTime(in.v, a, b),
                                   sliceTime(in.gv, a, b), s, 0.5);
     }},
    {"delta", true,
     [](const Inputs &in, int64_t a, int64_t b, const Array *s) {
       return deltaRule(sliceTime(in.q, a, b), sliceTime(in.k, a, b),
                        sliceTime(in.v, a, b), sliceTime(in.beta, a, b),
                        nullptr, s, 0.5);
     }},
    {"gated delta", true,
     [](const Inputs &in, int64_t a, int64_t b, const Array *s) {
       Array g = sliceTime(in.gs, a, b);
       return deltaRule(sliceTime(in.q, a, b), sliceTime(in.k, a, b),
                        sliceTime(in.v, a, b), sliceTime(in.beta, a, b), &g, s,
                        0.5);
     }},
};

} // namespace

// Running T steps equals running the first half, then the second half from
// the first half's final state.
TEST(ReferenceProperties, SplitInTimeChainsThroughState) {
  std::mt19937 rng(7);
  const int64_t T = 10;
  Inputs in = makeInputs(rng, 2, T, 3, 4, 5);
  for (const Variant &var : kVariants) {
    SCOPED_TRACE(var.name);
    for (const Array *s0 : {static_cast<const Array *>(nullptr),
                            static_cast<const Array *>(&in.s0)}) {
      StateResult full = var.run(in, 0, T, s0);
      StateResult first = var.run(in, 0, T / 2, s0);
      StateResult second = var.run(in, T / 2, T, &first.finalState);
      expectClose(second.finalState, full.finalState);
      expectClose(first.o, sliceTime(full.o, 0, T / 2));
      if (var.outputsSplit)
        expectClose(second.o, sliceTime(full.o, T / 2, T));
    }
  }
}

// Batches and heads are independent: each (b, h) of a B=2, H=3 run equals a
// B=1, H=1 run on that slice. This pins the [B,T,H,D] / [B,H,Dk,Dv] layout.
TEST(ReferenceProperties, BatchAndHeadSlicesAreIndependent) {
  std::mt19937 rng(8);
  const int64_t B = 2, T = 6, H = 3;
  Inputs in = makeInputs(rng, B, T, H, 4, 5);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h) {
      Inputs one{sliceBH(in.q, b, h),    sliceBH(in.k, b, h),
                 sliceBH(in.v, b, h),    sliceBH(in.beta, b, h),
                 sliceBH(in.gs, b, h),   sliceBH(in.gv, b, h),
                 sliceState(in.s0, b, h)};
      for (const Variant &var : kVariants) {
        SCOPED_TRACE(var.name);
        StateResult all = var.run(in, 0, T, &in.s0);
        StateResult part = var.run(one, 0, T, &one.s0);
        expectClose(part.o, sliceBH(all.o, b, h));
        expectClose(part.finalState, sliceState(all.finalState, b, h));
      }
      Array so = softmaxAttention(in.q, in.k, in.v, true, 0.5);
      expectClose(softmaxAttention(one.q, one.k, one.v, true, 0.5),
                  sliceBH(so, b, h));
    }
}

// T = 1000, D = 128, H = 2 must run in well under a second or two per op.
TEST(ReferenceProperties, LargeShapeRuns) {
  std::mt19937 rng(9);
  Inputs in = makeInputs(rng, 1, 1000, 2, 128, 128);
  StateResult r = deltaRule(in.q, in.k, in.v, in.beta, &in.gs, nullptr, 0.1);
  Array o = softmaxAttention(in.q, in.k, in.v, true, 0.1);
  for (double x : r.o.data)
    ASSERT_TRUE(std::isfinite(x));
  for (double x : o.data)
    ASSERT_TRUE(std::isfinite(x));
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

TEST(ReferenceErrors, ShapeMismatchesThrow) {
  Array q({1, 2, 1, 3}), k({1, 2, 1, 3}), v({1, 2, 1, 4});
  Array beta({1, 2, 1}), g({1, 2, 1}), s0({1, 1, 3, 4});
  auto id = FeatureMap::Identity;
  auto throwsMentioning = [](auto fn, const std::string &word) {
    try {
      fn();
    } catch (const std::invalid_argument &e) {
      // Messages read "<op>: <name> must have ..." or "<name> has ...".
      std::string what = e.what();
      EXPECT_TRUE(what.find(word + " must") != std::string::npos ||
                  what.find(word + " has") != std::string::npos)
          << what;
      return;
    }
    ADD_FAILURE() << "expected std::invalid_argument mentioning " << word;
  };

  // Softmax: rank, Dk, Tk of k vs v, batch.
  throwsMentioning([&] { softmaxAttention(Array({2, 1, 3}), k, v, true, 1); },
                   "q");
  throwsMentioning(
      [&] { softmaxAttention(q, Array({1, 2, 1, 2}), v, true, 1); }, "k");
  throwsMentioning(
      [&] { softmaxAttention(q, k, Array({1, 3, 1, 4}), true, 1); }, "v");
  throwsMentioning(
      [&] { softmaxAttention(q, Array({2, 2, 1, 3}), v, true, 1); }, "k");
  // Tq != Tk is fine for softmax but not for the recurrent ops.
  EXPECT_NO_THROW(softmaxAttention(Array({1, 1, 1, 3}), k, v, true, 1));
  throwsMentioning(
      [&] {
        linearAttention(Array({1, 1, 1, 3}), k, v, nullptr, id, false, true, 1);
      },
      "k");
  // Heads, value length, initial state.
  throwsMentioning(
      [&] {
        linearAttention(q, Array({1, 2, 2, 3}), v, nullptr, id, false, true, 1);
      },
      "k");
  throwsMentioning(
      [&] {
        linearAttention(q, k, Array({1, 2, 1}), nullptr, id, false, true, 1);
      },
      "v");
  Array badState({1, 1, 4, 3});
  throwsMentioning(
      [&] { linearAttention(q, k, v, &badState, id, false, true, 1); },
      "initial state");
  // Gates: wrong rank, wrong Dk, wrong T.
  throwsMentioning(
      [&] { gatedLinearAttention(q, k, v, Array({1, 2}), nullptr, 1); }, "g");
  throwsMentioning(
      [&] { gatedLinearAttention(q, k, v, Array({1, 2, 1, 4}), nullptr, 1); },
      "g");
  throwsMentioning(
      [&] { gatedLinearAttention(q, k, v, Array({1, 3, 1}), nullptr, 1); },
      "g");
  throwsMentioning(
      [&] { gatedLinearAttention(q, k, v, g, &badState, 1); },
      "initial state");
  // Delta: beta and g are [B,T,H]; a vector gate is not accepted.
  throwsMentioning(
      [&] { deltaRule(q, k, v, Array({1, 2, 1, 1}), nullptr, nullptr, 1); },
      "beta");
  Array gv({1, 2, 1, 3});
  throwsMentioning([&] { deltaRule(q, k, v, beta, &gv, nullptr, 1); }, "g");
  throwsMentioning([&] { deltaRule(q, k, v, beta, &g, &badState, 1); },
                   "initial state");
  EXPECT_NO_THROW(deltaRule(q, k, v, beta, &g, &s0, 1));
  // Data that does not fill the shape (the fields are public).
  Array broken = q;
  broken.data.pop_back();
  throwsMentioning(
      [&] { linearAttention(broken, k, v, nullptr, id, false, true, 1); },
      "q");
}

//===----------------------------------------------------------------------===//
// Grouped-query attention (GQA)
//===----------------------------------------------------------------------===//

namespace {

/// np.repeat(a, G, axis=2) for a [B,T,H,D] array: head j of the result is
/// head j / G of `a`, so each key/value head serves G consecutive query heads.
Array repeatHeads(const Array &a, int64_t G) {
  int64_t B = a.shape[0], T = a.shape[1], H = a.shape[2], D = a.shape[3];
  Array r({B, T, H * G, D});
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t)
      for (int64_t j = 0; j < H * G; ++j)
        for (int64_t d = 0; d < D; ++d)
          r.data[((b * T + t) * H * G + j) * D + d] =
              a.data[((b * T + t) * H + j / G) * D + d];
  return r;
}

/// Inputs with Hq query heads and Hkv key/value heads (k and v drawn with
/// Hkv heads; everything else per query head).
Inputs makeGroupedInputs(std::mt19937 &rng, int64_t B, int64_t T, int64_t Hq,
                         int64_t Hkv, int64_t Dk, int64_t Dv) {
  Inputs in = makeInputs(rng, B, T, Hq, Dk, Dv);
  in.k = randomArray({B, T, Hkv, Dk}, rng, -0.4, 0.4);
  in.v = randomArray({B, T, Hkv, Dv}, rng);
  return in;
}

/// Every op on grouped k/v equals the same op on k/v repeated per group.
void expectGroupedEqualsRepeated(const Inputs &grouped, int64_t G) {
  Inputs repeated = grouped;
  repeated.k = repeatHeads(grouped.k, G);
  repeated.v = repeatHeads(grouped.v, G);
  const int64_t T = grouped.q.shape[1];
  for (const Variant &var : kVariants) {
    SCOPED_TRACE(var.name);
    for (const Array *s0 : {static_cast<const Array *>(nullptr),
                            static_cast<const Array *>(&grouped.s0)}) {
      StateResult a = var.run(grouped, 0, T, s0);
      StateResult b = var.run(repeated, 0, T, s0);
      expectClose(a.o, b.o);
      expectClose(a.finalState, b.finalState);
    }
  }
  // Non-causal linear attention (plain and normalized).
  for (bool normalize : {false, true}) {
    SCOPED_TRACE(normalize ? "linear non-causal normalized"
                           : "linear non-causal");
    StateResult a =
        linearAttention(grouped.q, grouped.k, grouped.v, &grouped.s0,
                        FeatureMap::EluPlusOne, normalize, false, 0.5);
    StateResult b =
        linearAttention(repeated.q, repeated.k, repeated.v, &repeated.s0,
                        FeatureMap::EluPlusOne, normalize, false, 0.5);
    expectClose(a.o, b.o);
    expectClose(a.finalState, b.finalState);
  }
  // Softmax: causal, non-causal, windowed, and a suffix of queries (Tq < Tk).
  for (bool causal : {true, false})
    for (int64_t window : {int64_t(0), int64_t(2)}) {
      if (window && !causal)
        continue;
      SCOPED_TRACE("softmax causal=" + std::to_string(causal) +
                   " window=" + std::to_string(window));
      expectClose(
          softmaxAttention(grouped.q, grouped.k, grouped.v, causal, 0.5,
                           window),
          softmaxAttention(repeated.q, repeated.k, repeated.v, causal, 0.5,
                           window));
      Array qs = sliceTime(grouped.q, T / 2, T);
      expectClose(
          softmaxAttention(qs, grouped.k, grouped.v, causal, 0.5, window),
          softmaxAttention(qs, repeated.k, repeated.v, causal, 0.5, window));
    }
}

} // namespace

// Two query heads share one key/value head (Hq = 2, Hkv = 1), D = 1, scale 1:
// k = 3, v = 5, so S = S_0 + 15 for both heads, but q, S_0 and o are per
// query head: q = (1, 2), S_0 = (1, 2) -> S = (16, 17), o = (16, 34).
TEST(ReferenceGQA, HandComputedSharedHead) {
  Array q({1, 1, 2, 1}, {1, 2}), k({1, 1, 1, 1}, {3}), v({1, 1, 1, 1}, {5});
  Array s0({1, 2, 1, 1}, {1, 2});
  StateResult r = linearAttention(q, k, v, &s0, FeatureMap::Identity, false,
                                  true, 1.0);
  expectNear(r.o, {1, 1, 2, 1}, {16, 34});
  expectNear(r.finalState, {1, 2, 1, 1}, {16, 17});
  // Softmax with one key: every query head returns that key's value.
  expectNear(softmaxAttention(q, k, v, true, 1.0), {1, 1, 2, 1}, {5, 5});
}

// Hq = 4, Hkv = 2: query heads 0, 1 read k/v head 0 and heads 2, 3 head 1.
TEST(ReferenceGQA, GroupOfTwoEqualsRepeatedKV) {
  std::mt19937 rng(10);
  expectGroupedEqualsRepeated(makeGroupedInputs(rng, 2, 7, 4, 2, 4, 3), 2);
}

// Multi-query attention: G = Hq, a single key/value head for all heads.
TEST(ReferenceGQA, MultiQueryEqualsRepeatedKV) {
  std::mt19937 rng(11);
  expectGroupedEqualsRepeated(makeGroupedInputs(rng, 2, 6, 3, 1, 4, 5), 3);
}

// Independently of repeatHeads: each query head h of a multi-query run equals
// a single-head run of q head h against the one k/v head.
TEST(ReferenceGQA, MultiQueryHeadSlices) {
  std::mt19937 rng(12);
  const int64_t B = 2, T = 5, Hq = 3;
  Inputs in = makeGroupedInputs(rng, B, T, Hq, 1, 4, 3);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < Hq; ++h) {
      Inputs one{sliceBH(in.q, b, h),    sliceBH(in.k, b, 0),
                 sliceBH(in.v, b, 0),    sliceBH(in.beta, b, h),
                 sliceBH(in.gs, b, h),   sliceBH(in.gv, b, h),
                 sliceState(in.s0, b, h)};
      for (const Variant &var : kVariants) {
        SCOPED_TRACE(var.name);
        StateResult all = var.run(in, 0, T, &in.s0);
        StateResult part = var.run(one, 0, T, &one.s0);
        expectClose(part.o, sliceBH(all.o, b, h));
        expectClose(part.finalState, sliceState(all.finalState, b, h));
      }
      for (int64_t window : {int64_t(0), int64_t(2)}) {
        Array so = softmaxAttention(in.q, in.k, in.v, true, 0.5, window);
        expectClose(softmaxAttention(one.q, one.k, one.v, true, 0.5, window),
                    sliceBH(so, b, h));
      }
    }
}

//===----------------------------------------------------------------------===//
// Sliding-window softmax attention
//===----------------------------------------------------------------------===//

// T = 3, window = 2, D = 1, scale 1, q = [0, ln3, ln3], k = [0, 1, 2],
// v = [1, 5, 9]. Query t sees t - 2 < s <= t:
//   t=0: s = 0            -> o = v_0 = 1
//   t=1: s = 0, 1: scores [0, ln3] -> [1/4, 3/4] -> o = 1/4 + 15/4 = 4
//   t=2: s = 1, 2: scores [ln3, 2 ln3] -> [3, 9]/12 -> o = (15 + 81)/12 = 8
// Without the window t=2 also sees s = 0: [1, 3, 9]/13 -> (1+15+81)/13.
TEST(ReferenceWindow, HandComputed) {
  double l3 = std::log(3.0);
  Array q = seq(3, 1, {0, l3, l3});
  Array k = seq(3, 1, {0, 1, 2});
  Array v = seq(3, 1, {1, 5, 9});
  expectNear(softmaxAttention(q, k, v, true, 1.0, 2), {1, 3, 1, 1},
             {1, 4, 8});
  expectNear(softmaxAttention(q, k, v, true, 1.0, 0), {1, 3, 1, 1},
             {1, 4, 97.0 / 13});
  // Decode: the single query (Tq = 1 < Tk = 3) sits at t' = 2 and sees
  // s = 1, 2, as query 2 above.
  expectNear(softmaxAttention(sliceTime(q, 2, 3), k, v, true, 1.0, 2),
             {1, 1, 1, 1}, {8});
}

// A window of T or more hides nothing (both Tq = Tk and Tq < Tk).
TEST(ReferenceWindow, LargeWindowEqualsNoWindow) {
  std::mt19937 rng(13);
  Array q = randomArray({2, 6, 4, 3}, rng), k = randomArray({2, 6, 2, 3}, rng);
  Array v = randomArray({2, 6, 2, 5}, rng);
  Array full = softmaxAttention(q, k, v, true, 0.5);
  Array qs = sliceTime(q, 3, 6);
  Array fullSuffix = softmaxAttention(qs, k, v, true, 0.5);
  for (int64_t window : {int64_t(6), int64_t(7), int64_t(1000)}) {
    SCOPED_TRACE(window);
    expectClose(softmaxAttention(q, k, v, true, 0.5, window), full);
    expectClose(softmaxAttention(qs, k, v, true, 0.5, window), fullSuffix);
  }
  // Window T - 1 does change the last row (it drops key 0).
  EXPECT_GT(relativeError(softmaxAttention(q, k, v, true, 0.5, 5), full),
            1e-6);
}

// window = 1: each query sees only its own position, o_t = v_{t'} with
// t' = t + Tk - Tq (here Tq = 4, Tk = 6, Hq = 4, Hkv = 2).
TEST(ReferenceWindow, WindowOneReturnsOwnValue) {
  std::mt19937 rng(14);
  const int64_t B = 2, Tq = 4, Tk = 6, Hq = 4, Hkv = 2, Dk = 3, Dv = 5;
  Array q = randomArray({B, Tq, Hq, Dk}, rng);
  Array k = randomArray({B, Tk, Hkv, Dk}, rng);
  Array v = randomArray({B, Tk, Hkv, Dv}, rng);
  Array o = softmaxAttention(q, k, v, true, 0.5, 1);
  Array expected({B, Tq, Hq, Dv});
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < Tq; ++t)
      for (int64_t h = 0; h < Hq; ++h)
        for (int64_t j = 0; j < Dv; ++j)
          expected.data[((b * Tq + t) * Hq + h) * Dv + j] =
              v.data[((b * Tk + t + (Tk - Tq)) * Hkv + h / 2) * Dv + j];
  expectNear(o, expected.shape, expected.data);
}

// Each windowed row equals a plain (unwindowed) decode of that query against
// the keys of its window only: positions max(0, t' - w + 1) .. t'.
TEST(ReferenceWindow, RowEqualsDecodeOverWindowKeys) {
  std::mt19937 rng(15);
  const int64_t Tq = 5, Tk = 9;
  Array q = randomArray({2, Tq, 2, 4}, rng), k = randomArray({2, Tk, 2, 4}, rng);
  Array v = randomArray({2, Tk, 2, 3}, rng);
  for (int64_t w : {int64_t(1), int64_t(2), int64_t(3), int64_t(8)}) {
    SCOPED_TRACE(w);
    Array o = softmaxAttention(q, k, v, true, 0.7, w);
    for (int64_t t = 0; t < Tq; ++t) {
      int64_t tAbs = t + (Tk - Tq), lo = std::max<int64_t>(0, tAbs - w + 1);
      Array row = softmaxAttention(sliceTime(q, t, t + 1),
                                   sliceTime(k, lo, tAbs + 1),
                                   sliceTime(v, lo, tAbs + 1), true, 0.7);
      expectClose(row, sliceTime(o, t, t + 1));
    }
  }
}

// Causal with Tq > Tk and a window: query t sits at t' = t - 1; query 0 sees
// nothing (0), the others see keys t' - w < s <= t'.
// k = [1, 2], v = [7, 3], window 1: o = [0, v_0, v_1] = [0, 7, 3].
TEST(ReferenceWindow, MoreQueriesThanKeys) {
  Array q = seq(3, 1, {1, 1, 0});
  Array k = seq(2, 1, {1, 2});
  Array v = seq(2, 1, {7, 3});
  expectNear(softmaxAttention(q, k, v, true, 1.0, 1), {1, 3, 1, 1},
             {0, 7, 3});
}

TEST(ReferenceWindow, InvalidWindowThrows) {
  Array q({1, 3, 1, 2}), k({1, 3, 1, 2}), v({1, 3, 1, 2});
  auto throwsMentioningWindow = [](auto fn) {
    try {
      fn();
    } catch (const std::invalid_argument &e) {
      EXPECT_NE(std::string(e.what()).find("window"), std::string::npos)
          << e.what();
      return;
    }
    ADD_FAILURE() << "expected std::invalid_argument mentioning window";
  };
  throwsMentioningWindow([&] { softmaxAttention(q, k, v, true, 1.0, -1); });
  throwsMentioningWindow([&] { softmaxAttention(q, k, v, false, 1.0, 2); });
  throwsMentioningWindow([&] { softmaxAttention(q, k, v, false, 1.0, -3); });
  EXPECT_NO_THROW(softmaxAttention(q, k, v, false, 1.0, 0));
  EXPECT_NO_THROW(softmaxAttention(q, k, v, true, 1.0, 1));
}

//===----------------------------------------------------------------------===//
// GQA errors
//===----------------------------------------------------------------------===//

TEST(ReferenceErrors, HeadRatioThrows) {
  auto id = FeatureMap::Identity;
  auto throwsWith = [](auto fn, const std::string &text) {
    try {
      fn();
    } catch (const std::invalid_argument &e) {
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos)
          << e.what();
      return;
    }
    ADD_FAILURE() << "expected std::invalid_argument with '" << text << "'";
  };
  // Hq = 3 is not a multiple of Hkv = 2, and Hq = 2 < Hkv = 4.
  for (int64_t Hkv : {int64_t(2), int64_t(4)}) {
    int64_t Hq = Hkv == 2 ? 3 : 2;
    SCOPED_TRACE("Hq=" + std::to_string(Hq) + " Hkv=" + std::to_string(Hkv));
    Array q({1, 2, Hq, 3}), k({1, 2, Hkv, 3}), v({1, 2, Hkv, 4});
    Array beta({1, 2, Hq}), g({1, 2, Hq}), s0({1, Hq, 3, 4});
    std::string msg = "k has " + std::to_string(Hkv) + " heads but q has " +
                      std::to_string(Hq);
    throwsWith([&] { softmaxAttention(q, k, v, true, 1); }, msg);
    throwsWith([&] { softmaxAttention(q, k, v, false, 1); }, msg);
    throwsWith([&] { softmaxAttention(q, k, v, true, 1, 2); }, msg);
    throwsWith(
        [&] { linearAttention(q, k, v, &s0, id, false, true, 1); }, msg);
    throwsWith([&] { gatedLinearAttention(q, k, v, g, &s0, 1); }, msg);
    throwsWith([&] { deltaRule(q, k, v, beta, &g, &s0, 1); }, msg);
  }
  // k and v must agree on Hkv; states, beta and gates are per query head.
  Array q({1, 2, 4, 3}), k({1, 2, 2, 3}), v({1, 2, 2, 4});
  Array beta({1, 2, 4}), g({1, 2, 4}), s0({1, 4, 3, 4});
  EXPECT_NO_THROW(deltaRule(q, k, v, beta, &g, &s0, 1));
  EXPECT_NO_THROW(softmaxAttention(q, k, v, true, 1, 1));
  Array v1({1, 2, 1, 4});
  throwsWith([&] { softmaxAttention(q, k, v1, true, 1); }, "v must have shape");
  throwsWith([&] { linearAttention(q, k, v1, nullptr, id, false, true, 1); },
             "v must have shape");
  Array kvState({1, 2, 3, 4});
  throwsWith([&] { linearAttention(q, k, v, &kvState, id, false, true, 1); },
             "initial state must have shape [1,4,3,4]");
  throwsWith([&] { deltaRule(q, k, v, Array({1, 2, 2}), nullptr, nullptr, 1); },
             "beta must have shape [1,2,4]");
  throwsWith([&] { gatedLinearAttention(q, k, v, Array({1, 2, 2}), nullptr, 1); },
             "g must have shape [1,2,4]");
  throwsWith(
      [&] { gatedLinearAttention(q, k, v, Array({1, 2, 2, 3}), nullptr, 1); },
      "g must have shape [1,2,4,3]");
  // Zero key/value heads with query heads is an error, not a division by 0.
  Array k0({1, 2, 0, 3}), v0({1, 2, 0, 4});
  throwsWith([&] { softmaxAttention(q, k0, v0, true, 1); },
             "k has 0 heads but q has 4");
}
