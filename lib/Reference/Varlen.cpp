//===- Varlen.cpp - packed sequences in the float64 reference -------------===//
//
// The variable-length form of every op by its definition: each sequence is
// cut out of the packed T axis and run through the op on its own, then the
// pieces are put back. Nothing here knows any op.
//
//===----------------------------------------------------------------------===//

#include "attn/Reference/Reference.h"

#include <algorithm>
#include <stdexcept>

namespace attn::reference {

namespace {

[[noreturn]] void fail(const std::string &msg) {
  throw std::invalid_argument("packedSequences: " + msg);
}

/// Elements of one position of T: the product of the dimensions after T.
int64_t rowSize(const Array &a) {
  int64_t n = 1;
  for (size_t i = 2; i < a.shape.size(); ++i)
    n *= a.shape[i];
  return n;
}

} // namespace

void checkCuSeqlens(const std::vector<int64_t> &cu, int64_t T) {
  auto fail = [](const std::string &msg) {
    throw std::invalid_argument(msg);
  };
  if (cu.size() < 2)
    fail("cu_seqlens must hold N + 1 >= 2 offsets, got " +
         std::to_string(cu.size()));
  if (cu.front() != 0)
    fail("cu_seqlens must start at 0, got " + std::to_string(cu.front()));
  for (size_t i = 1; i < cu.size(); ++i)
    if (cu[i] < cu[i - 1])
      fail("cu_seqlens must be non-decreasing, got " +
           std::to_string(cu[i - 1]) + " then " + std::to_string(cu[i]) +
           " at index " + std::to_string(i));
  if (cu.back() != T)
    fail("cu_seqlens must end at T = " + std::to_string(T) + ", got " +
         std::to_string(cu.back()));
}

Array sliceTime(const Array &a, int64_t begin, int64_t end) {
  if (a.rank() < 2 || begin < 0 || end < begin || end > a.shape[1])
    throw std::invalid_argument("sliceTime: bad range for the T axis");
  std::vector<int64_t> shape = a.shape;
  shape[1] = end - begin;
  Array out(shape);
  int64_t row = rowSize(a), T = a.shape[1];
  for (int64_t b = 0; b < a.shape[0]; ++b)
    std::copy(a.data.begin() + (b * T + begin) * row,
              a.data.begin() + (b * T + end) * row,
              out.data.begin() + b * shape[1] * row);
  return out;
}

StateResult packedSequences(const std::vector<int64_t> &cu,
                            const std::vector<const Array *> &perStep,
                            const Array *initialState, const SequenceFn &fn) {
  if (perStep.empty() || !perStep.front())
    fail("the first per-step input (q) is required");
  const Array &first = *perStep.front();
  if (first.rank() < 2 || first.shape[0] != 1)
    fail("packed sequences need B = 1");
  const int64_t T = first.shape[1];
  for (const Array *a : perStep)
    if (a && (a->rank() < 2 || a->shape[0] != 1 || a->shape[1] != T))
      fail("every per-step input must be [1, T, ...] with T = " +
           std::to_string(T));
  checkCuSeqlens(cu, T);
  const int64_t N = static_cast<int64_t>(cu.size()) - 1;
  if (initialState && (initialState->rank() < 1 || initialState->shape[0] != N))
    fail("the initial state must have N = " + std::to_string(N) + " rows");

  StateResult all;
  std::vector<Array> pieces;
  std::vector<Array> states;
  for (int64_t n = 0; n < N; ++n) {
    std::vector<Array> sliced;
    sliced.reserve(perStep.size());
    std::vector<const Array *> args;
    for (const Array *a : perStep) {
      if (!a) {
        args.push_back(nullptr);
        continue;
      }
      sliced.push_back(sliceTime(*a, cu[n], cu[n + 1]));
      args.push_back(&sliced.back());
    }
    Array init;
    if (initialState) {
      std::vector<int64_t> shape = initialState->shape;
      shape[0] = 1;
      int64_t size = initialState->numElements() / N;
      init = Array(shape, std::vector<double>(
                              initialState->data.begin() + n * size,
                              initialState->data.begin() + (n + 1) * size));
    }
    StateResult r = fn(args, initialState ? &init : nullptr);
    pieces.push_back(std::move(r.o));
    states.push_back(std::move(r.finalState));
  }

  // o: the pieces along T, in order; they cover all of T.
  std::vector<int64_t> oShape = pieces.front().shape;
  oShape[1] = T;
  all.o = Array(oShape);
  int64_t row = rowSize(all.o);
  for (int64_t n = 0; n < N; ++n)
    std::copy(pieces[n].data.begin(), pieces[n].data.end(),
              all.o.data.begin() + cu[n] * row);
  // Final states: [1, ...] each, stacked to [N, ...] (none for softmax).
  if (!states.front().shape.empty()) {
    std::vector<int64_t> sShape = states.front().shape;
    sShape[0] = N;
    all.finalState = Array(sShape);
    size_t size = states.front().data.size();
    for (int64_t n = 0; n < N; ++n)
      std::copy(states[n].data.begin(), states[n].data.end(),
                all.finalState.data.begin() + n * size);
  }
  return all;
}

} // namespace attn::reference
