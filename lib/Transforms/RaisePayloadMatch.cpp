//===- RaisePayloadMatch.cpp - scale, softmax and feature maps in linalg --===//
//
// The ops between the contractions (scale, softmax) and before them (feature
// maps) are recognized from their payloads; they must be elementwise or
// reductions with identity input maps, which is what frontends emit.
//
//===----------------------------------------------------------------------===//
#include "RaiseMatch.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Matchers.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;

namespace {

//===----------------------------------------------------------------------===//
// Scalars and payloads
//===----------------------------------------------------------------------===//

/// `v` without the float casts a frontend puts around mixed-precision math.
Value stripCasts(Value v) {
  while (Operation *op = v.getDefiningOp()) {
    if (!isa<arith::ExtFOp, arith::TruncFOp>(op))
      break;
    v = op->getOperand(0);
  }
  return v;
}

/// The value of a float constant, scalar or splat.
std::optional<double> constantValue(Value v) {
  Attribute attr;
  if (!matchPattern(stripCasts(v), m_Constant(&attr)))
    return std::nullopt;
  if (auto splat = dyn_cast<SplatElementsAttr>(attr))
    attr = splat.getSplatValue<Attribute>();
  if (auto f = dyn_cast<FloatAttr>(attr))
    return f.getValueAsDouble();
  return std::nullopt;
}

/// The value every element of tensor `t` has, when it is a constant: a splat
/// constant or a linalg.fill of one.
std::optional<double> splatValue(Value t) {
  if (auto fill = t.getDefiningOp<linalg::FillOp>())
    return constantValue(fill.getInputs()[0]);
  return constantValue(t);
}

/// The value `op`'s payload yields (casts stripped).
Value yielded(linalg::LinalgOp op) {
  return stripCasts(op.getBlock()->getTerminator()->getOperand(0));
}

/// The input operand whose block argument `v` is (casts stripped), if any.
OpOperand *inputOf(linalg::LinalgOp op, Value v) {
  auto arg = dyn_cast<BlockArgument>(stripCasts(v));
  if (!arg || arg.getOwner() != op.getBlock() ||
      arg.getArgNumber() >= op.getNumDpsInputs())
    return nullptr;
  return op.getDpsInputOperand(arg.getArgNumber());
}

/// A scalar constant inside `op`'s payload: a constant captured from above,
/// or the block argument of a splat input.
std::optional<double> payloadConstant(linalg::LinalgOp op, Value v) {
  if (OpOperand *in = inputOf(op, v))
    return splatValue(in->get());
  return constantValue(v);
}

template <typename OpTy>
OpTy payloadOp(Value v) {
  return stripCasts(v).getDefiningOp<OpTy>();
}

/// An elementwise op: parallel loops only, one init with the identity map
/// whose value the payload does not read.
bool isElementwise(linalg::LinalgOp op) {
  return op && op.getNumDpsInits() == 1 && op.isAllParallelLoops() &&
         op.getIndexingMapsArray().back().isIdentity() &&
         !op.payloadUsesValueFromOperand(op.getDpsInitOperand(0));
}

/// `in` is read with the identity map: its dims are the op's loop dims.
bool readsIdentity(linalg::LinalgOp op, OpOperand *in) {
  return in && op.getMatchingIndexingMap(in).isIdentity();
}

} // namespace

bool mlir::attn::isZeroTensor(Value t) {
  std::optional<double> c = splatValue(t);
  return c && *c == 0.0;
}

//===----------------------------------------------------------------------===//
// Scale, softmax and feature maps
//===----------------------------------------------------------------------===//

std::optional<std::pair<Value, double>> mlir::attn::matchScale(Value x) {
  auto op = x.getDefiningOp<linalg::LinalgOp>();
  if (!isElementwise(op))
    return std::nullopt;
  Value body = yielded(op);
  std::optional<std::pair<Value, double>> result;
  auto tryOrder = [&](Value main, Value other, bool divide) {
    OpOperand *in = inputOf(op, main);
    std::optional<double> c = payloadConstant(op, other);
    if (result || !readsIdentity(op, in) || !c || *c == 0.0)
      return;
    result = std::make_pair(in->get(), divide ? 1.0 / *c : *c);
  };
  if (auto mul = payloadOp<arith::MulFOp>(body)) {
    tryOrder(mul.getLhs(), mul.getRhs(), false);
    tryOrder(mul.getRhs(), mul.getLhs(), false);
  } else if (auto div = payloadOp<arith::DivFOp>(body)) {
    tryOrder(div.getLhs(), div.getRhs(), true);
  }
  if (!result || !(result->second > 0.0) || !std::isfinite(result->second))
    return std::nullopt;
  return result;
}

namespace {

enum class Combiner { Add, Max };

/// A reduction of one input over one dim.
struct Reduction {
  Value input;
  int64_t dim;
  AffineMap resultMap; // loop dims -> result dims (dim dropped, or 0)
  Value init;
};

/// `r` reduces its single input, read with the identity map, over one
/// dimension with `combiner`; the result drops that dimension or keeps it as
/// size 1.
std::optional<Reduction> matchReduction(Value r, Combiner combiner) {
  auto op = r.getDefiningOp<linalg::LinalgOp>();
  if (!op || op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() != 1)
    return std::nullopt;
  OpOperand *in = op.getDpsInputOperand(0);
  if (!readsIdentity(op, in))
    return std::nullopt;
  SmallVector<unsigned> reduced;
  op.getReductionDims(reduced);
  int64_t dim = reduced.front();

  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  unsigned next = 0;
  for (AffineExpr e : outMap.getResults()) {
    if (next == dim)
      ++next;
    auto d = dyn_cast<AffineDimExpr>(e);
    auto c = dyn_cast<AffineConstantExpr>(e);
    if (d && d.getPosition() == next) {
      ++next;
    } else if (!(c && c.getValue() == 0 && next == dim + 1)) {
      return std::nullopt;
    }
  }
  if (std::max<int64_t>(next, dim + 1) != outMap.getNumDims())
    return std::nullopt;

  Value body = yielded(op);
  Value lhs, rhs;
  if (combiner == Combiner::Add) {
    auto add = payloadOp<arith::AddFOp>(body);
    if (!add)
      return std::nullopt;
    lhs = add.getLhs();
    rhs = add.getRhs();
  } else if (auto max = payloadOp<arith::MaximumFOp>(body)) {
    lhs = max.getLhs();
    rhs = max.getRhs();
  } else if (auto maxnum = payloadOp<arith::MaxNumFOp>(body)) {
    lhs = maxnum.getLhs();
    rhs = maxnum.getRhs();
  } else {
    return std::nullopt;
  }
  Value acc = op.getRegionOutputArgs().front();
  Value elem = op.getMatchingBlockArgument(in);
  lhs = stripCasts(lhs);
  rhs = stripCasts(rhs);
  if (!((lhs == elem && rhs == acc) || (lhs == acc && rhs == elem)))
    return std::nullopt;
  return Reduction{in->get(), dim, outMap,
                   op.getDpsInitOperand(0)->get()};
}

/// In elementwise `op`, `v` is `x - m` with x read with the identity map
/// and m the result of `max` (same map as max produced it): returns x.
Value matchSubMax(linalg::LinalgOp op, Value v, const Reduction &max,
                  Value maxResult) {
  auto sub = payloadOp<arith::SubFOp>(v);
  if (!sub)
    return {};
  OpOperand *x = inputOf(op, sub.getLhs());
  OpOperand *m = inputOf(op, sub.getRhs());
  if (!readsIdentity(op, x) || !m || m->get() != maxResult ||
      op.getMatchingIndexingMap(m) != max.resultMap)
    return {};
  return x->get();
}

/// The explicit softmax chain over one dim of x:
///   m = max-reduce(x); e = exp(x - m) (one op, or a sub then an exp);
///   s = add-reduce(e) into zeros; p = e / s.
/// Returns x and the dim.
std::optional<std::pair<Value, int64_t>> matchExplicitSoftmax(Value p) {
  auto div = p.getDefiningOp<linalg::LinalgOp>();
  if (!isElementwise(div))
    return std::nullopt;
  auto quot = payloadOp<arith::DivFOp>(yielded(div));
  if (!quot)
    return std::nullopt;
  OpOperand *eIn = inputOf(div, quot.getLhs());
  OpOperand *sIn = inputOf(div, quot.getRhs());
  if (!readsIdentity(div, eIn) || !sIn)
    return std::nullopt;
  Value e = eIn->get();
  std::optional<Reduction> sum = matchReduction(sIn->get(), Combiner::Add);
  if (!sum || sum->input != e ||
      div.getMatchingIndexingMap(sIn) != sum->resultMap ||
      !isZeroTensor(sum->init))
    return std::nullopt;

  // e = exp(x - m), fused or as a subtraction followed by an exponential.
  auto expOp = e.getDefiningOp<linalg::LinalgOp>();
  if (!isElementwise(expOp))
    return std::nullopt;
  auto exp = payloadOp<math::ExpOp>(yielded(expOp));
  if (!exp)
    return std::nullopt;
  linalg::LinalgOp subOp = expOp;
  Value diff = exp.getOperand();
  if (OpOperand *d = inputOf(expOp, diff)) {
    subOp = d->get().getDefiningOp<linalg::LinalgOp>();
    if (!readsIdentity(expOp, d) || !isElementwise(subOp))
      return std::nullopt;
    diff = yielded(subOp);
  }
  auto sub = payloadOp<arith::SubFOp>(diff);
  if (!sub)
    return std::nullopt;
  OpOperand *mIn = inputOf(subOp, sub.getRhs());
  if (!mIn)
    return std::nullopt;
  std::optional<Reduction> max = matchReduction(mIn->get(), Combiner::Max);
  if (!max || max->dim != sum->dim)
    return std::nullopt;
  // Softmax does not depend on the value subtracted along the reduced dim,
  // only on it being the same for the whole row; a constant init of the max
  // keeps it a function of x.
  std::optional<double> maxInit = splatValue(max->init);
  if (!maxInit || std::isnan(*maxInit) || *maxInit == INFINITY)
    return std::nullopt;
  Value x = matchSubMax(subOp, diff, *max, mIn->get());
  if (!x || x != max->input)
    return std::nullopt;
  return std::make_pair(x, max->dim);
}

} // namespace

std::optional<std::pair<Value, int64_t>> mlir::attn::matchSoftmax(Value p) {
  if (auto softmax = p.getDefiningOp<linalg::SoftmaxOp>())
    return std::make_pair(softmax.getInput(),
                          static_cast<int64_t>(softmax.getDimension()));
  return matchExplicitSoftmax(p);
}

std::optional<std::pair<Value, FeatureMap>>
mlir::attn::matchFeatureMap(Value x) {
  auto op = x.getDefiningOp<linalg::LinalgOp>();
  if (!isElementwise(op) || op.getNumDpsInputs() != 1)
    return std::nullopt;
  OpOperand *in = op.getDpsInputOperand(0);
  if (!readsIdentity(op, in) ||
      getElementTypeOrSelf(in->get()) != getElementTypeOrSelf(x))
    return std::nullopt;
  Value y = op.getMatchingBlockArgument(in);
  auto isY = [&](Value v) { return stripCasts(v) == y; };
  auto isConst = [&](Value v, double c) {
    std::optional<double> got = payloadConstant(op, v);
    return got && *got == c;
  };
  Value body = yielded(op);
  auto relu = [&](Value a, Value b) {
    return (isY(a) && isConst(b, 0.0)) || (isY(b) && isConst(a, 0.0));
  };
  if (auto max = payloadOp<arith::MaximumFOp>(body))
    if (relu(max.getLhs(), max.getRhs()))
      return std::make_pair(in->get(), FeatureMap::Relu);
  if (auto max = payloadOp<arith::MaxNumFOp>(body))
    if (relu(max.getLhs(), max.getRhs()))
      return std::make_pair(in->get(), FeatureMap::Relu);
  if (auto sel = payloadOp<arith::SelectOp>(body)) {
    auto cmp = sel.getCondition().getDefiningOp<arith::CmpFOp>();
    auto add = payloadOp<arith::AddFOp>(sel.getTrueValue());
    auto exp = payloadOp<math::ExpOp>(sel.getFalseValue());
    if (cmp && cmp.getPredicate() == arith::CmpFPredicate::OGT &&
        isY(cmp.getLhs()) && isConst(cmp.getRhs(), 0.0) && add && exp &&
        isY(exp.getOperand()) &&
        ((isY(add.getLhs()) && isConst(add.getRhs(), 1.0)) ||
         (isY(add.getRhs()) && isConst(add.getLhs(), 1.0))))
      return std::make_pair(in->get(), FeatureMap::EluPlusOne);
  }
  return std::nullopt;
}
