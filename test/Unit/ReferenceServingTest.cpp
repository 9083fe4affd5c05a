//===- ReferenceServingTest.cpp - packed sequences and FAVOR+ -------------===//
//
// The float64 reference's serving features: packedSequences() against
// hand-sliced runs and the batched op, its checks of cu_seqlens, and the
// FAVOR+ feature map against a case worked out by hand.
//
//===----------------------------------------------------------------------===//

#include "attn/Reference/Reference.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>

using namespace attn::reference;

namespace {

Array randomArray(std::vector<int64_t> shape, std::mt19937 &rng) {
  Array a(std::move(shape));
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  for (double &x : a.data)
    x = dist(rng);
  return a;
}

/// Rows [n0, n1) of the first dimension.
Array rows(const Array &a, int64_t n0, int64_t n1) {
  std::vector<int64_t> shape = a.shape;
  int64_t size = a.numElements() / shape[0];
  shape[0] = n1 - n0;
  return Array(shape, std::vector<double>(a.data.begin() + n0 * size,
                                          a.data.begin() + n1 * size));
}

SequenceFn linearFn(bool causal) {
  return [causal](const std::vector<const Array *> &in, const Array *s0) {
    return linearAttention(*in[0], *in[1], *in[2], s0, FeatureMap::EluPlusOne,
                           /*normalize=*/true, causal, 0.25);
  };
}

TEST(PackedSequences, EachSequenceOnItsOwn) {
  std::mt19937 rng(1);
  Array q = randomArray({1, 9, 2, 3}, rng), k = randomArray({1, 9, 2, 3}, rng),
        v = randomArray({1, 9, 2, 4}, rng), s0 = randomArray({3, 2, 3, 4}, rng);
  std::vector<int64_t> cu{0, 4, 5, 9};
  StateResult r = packedSequences(cu, {&q, &k, &v}, &s0, linearFn(true));
  ASSERT_EQ(r.o.shape, (std::vector<int64_t>{1, 9, 2, 4}));
  ASSERT_EQ(r.finalState.shape, (std::vector<int64_t>{3, 2, 3, 4}));
  for (int64_t n = 0; n < 3; ++n) {
    Array sn = rows(s0, n, n + 1);
    StateResult one = linearAttention(
        sliceTime(q, cu[n], cu[n + 1]), sliceTime(k, cu[n], cu[n + 1]),
        sliceTime(v, cu[n], cu[n + 1]), &sn, FeatureMap::EluPlusOne, true,
        true, 0.25);
    EXPECT_LT(relativeError(sliceTime(r.o, cu[n], cu[n + 1]), one.o), 1e-15);
    EXPECT_LT(relativeError(rows(r.finalState, n, n + 1), one.finalState),
              1e-15);
  }
}

TEST(PackedSequences, EqualLengthsAreTheBatch) {
  std::mt19937 rng(2);
  // Three sequences of 4 packed == a batch of three.
  Array q = randomArray({1, 12, 1, 2}, rng), k = randomArray({1, 12, 1, 2}, rng),
        v = randomArray({1, 12, 1, 2}, rng);
  StateResult packed =
      packedSequences({0, 4, 8, 12}, {&q, &k, &v}, nullptr, linearFn(false));
  auto batch = [](const Array &a) {
    return Array({3, 4, 1, 2}, a.data); // same memory order
  };
  StateResult batched =
      linearAttention(batch(q), batch(k), batch(v), nullptr,
                      FeatureMap::EluPlusOne, true, false, 0.25);
  EXPECT_LT(relativeError(Array({3, 4, 1, 2}, packed.o.data), batched.o),
            1e-15);
  EXPECT_LT(relativeError(packed.finalState, batched.finalState), 1e-15);
}

TEST(PackedSequences, SoftmaxAndEmptySequences) {
  std::mt19937 rng(3);
  Array q = randomArray({1, 6, 2, 3}, rng), k = randomArray({1, 6, 1, 3}, rng),
        v = randomArray({1, 6, 1, 2}, rng);
  auto softmax = [](const std::vector<const Array *> &in, const Array *) {
    return StateResult{softmaxAttention(*in[0], *in[1], *in[2], true, 0.5),
                       Array()};
  };
  StateResult r = packedSequences({0, 1, 1, 6}, {&q, &k, &v}, nullptr, softmax);
  EXPECT_TRUE(r.finalState.shape.empty());
  // A length-1 sequence sees only itself: o_0 = v_0 for both query heads.
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t j = 0; j < 2; ++j)
      EXPECT_DOUBLE_EQ(r.o.data[h * 2 + j], v.data[j]);
  Array tail = softmaxAttention(sliceTime(q, 1, 6), sliceTime(k, 1, 6),
                                sliceTime(v, 1, 6), true, 0.5);
  EXPECT_LT(relativeError(sliceTime(r.o, 1, 6), tail), 1e-15);
  // An empty sequence's final state is its initial state.
  Array s0 = randomArray({3, 2, 3, 2}, rng);
  StateResult lin = packedSequences({0, 1, 1, 6}, {&q, &k, &v}, &s0,
                                    linearFn(true));
  EXPECT_EQ(rows(lin.finalState, 1, 2).data, rows(s0, 1, 2).data);
}

TEST(PackedSequences, BadOffsets) {
  EXPECT_NO_THROW(checkCuSeqlens({0, 3, 3, 7}, 7));
  EXPECT_THROW(checkCuSeqlens({0}, 7), std::invalid_argument);
  EXPECT_THROW(checkCuSeqlens({1, 7}, 7), std::invalid_argument);
  EXPECT_THROW(checkCuSeqlens({0, 5}, 7), std::invalid_argument);
  EXPECT_THROW(checkCuSeqlens({0, 5, 4, 7}, 7), std::invalid_argument);
  std::mt19937 rng(4);
  Array q = randomArray({2, 7, 1, 2}, rng);
  EXPECT_THROW(packedSequences({0, 7}, {&q, &q, &q}, nullptr, linearFn(true)),
               std::invalid_argument); // B = 2
  Array q1 = randomArray({1, 7, 1, 2}, rng), s0 = randomArray({1, 1, 2, 2}, rng);
  EXPECT_THROW(packedSequences({0, 3, 7}, {&q1, &q1, &q1}, &s0, linearFn(true)),
               std::invalid_argument); // one state row for two sequences
}

TEST(Favor, WorkedExample) {
  // Dk = 2, m = 2, W = [[1, 0], [0, -1]], k = (1, 0), v = 3, q = (0, 1):
  // |k|^2 / 2 = 0.5, W k = (1, 0): phi(k) = (e^0.5, e^-0.5) / sqrt(2);
  // |q|^2 / 2 = 0.5, W q = (0, -1): phi(q) = (e^-0.5, e^-1.5) / sqrt(2).
  // S = phi(k) v = 3 phi(k); o = scale phi(q).S with scale 1:
  // 3/2 (e^0 + e^-2).
  Array q({1, 1, 1, 2}, {0, 1}), k({1, 1, 1, 2}, {1, 0}), v({1, 1, 1, 1}, {3});
  Array w({2, 2}, {1, 0, 0, -1});
  StateResult r = linearAttention(q, k, v, nullptr, FeatureMap::Favor, false,
                                  true, 1.0, &w);
  EXPECT_NEAR(r.o.data[0], 1.5 * (1.0 + std::exp(-2.0)), 1e-12);
  ASSERT_EQ(r.finalState.shape, (std::vector<int64_t>{1, 1, 2, 1}));
  EXPECT_NEAR(r.finalState.data[0], 3 * std::exp(0.5) / std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(r.finalState.data[1], 3 * std::exp(-0.5) / std::sqrt(2.0),
              1e-12);
  // Normalized, a single key gives v exactly.
  r = linearAttention(q, k, v, nullptr, FeatureMap::Favor, true, true, 1.0,
                      &w);
  EXPECT_NEAR(r.o.data[0], 3.0, 1e-12);
}

TEST(Favor, ProjectionChecks) {
  Array q({1, 1, 1, 2}, {0, 1}), w({3, 2}), w3({3, 3}), s0({1, 1, 2, 1});
  EXPECT_THROW(linearAttention(q, q, q, nullptr, FeatureMap::Favor, false,
                               true, 1.0),
               std::invalid_argument); // no projection
  EXPECT_THROW(linearAttention(q, q, q, nullptr, FeatureMap::Relu, false,
                               true, 1.0, &w),
               std::invalid_argument); // projection without FAVOR+
  EXPECT_THROW(linearAttention(q, q, q, nullptr, FeatureMap::Favor, false,
                               true, 1.0, &w3),
               std::invalid_argument); // Dk mismatch
  EXPECT_THROW(linearAttention(q, q, q, &s0, FeatureMap::Favor, false, true,
                               1.0, &w),
               std::invalid_argument); // state must be [1, 1, m = 3, 2]
}

} // namespace
