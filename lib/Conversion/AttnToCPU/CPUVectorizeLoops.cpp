//===- CPUVectorizeLoops.cpp - vector loops for elementwise and reductions -===//
//
// The lowerings surround their contractions with many small bufferized
// linalg ops: masks, decays, scalings, the online softmax's row maxima and
// sums. Left to LLVM, some of them stay scalar (its loop vectorizer gives up
// on loops whose memory it cannot prove disjoint, or on reductions it may not
// reassociate). This pass writes them as vector loops directly:
//
//  - along C's contiguous dimension n (elementwise ops, and reductions over
//    other dimensions, whose loops then run inside the vector loop with the
//    output vector carried through them: each element still sums in order);
//    inputs that vary along n are read as vectors, the others as scalars
//    and broadcast where they meet a vector;
//  - or along the reduced dimension r, when n is not contiguous in an input
//    but r is (row maxima and sums): a vector accumulator over r, one
//    horizontal reduction at the end (sums only where the body allows
//    reassociation; maxima and minima are exact in any order).
//
// The body is cloned with vector types: linalg.index of the vector
// dimension becomes a vector of lane indices. The last vector of a row is
// masked when the vector width does not divide the row. linalg.fill becomes
// vector stores of a splat.
//
//===----------------------------------------------------------------------===//
#include "CPUVectorEmitter.h"

#include "attn/Conversion/AttnToCPU/AttnToCPU.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

#include <functional>
#include <limits>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNCPUVECTORIZELOOPS
#include "attn/Conversion/AttnToCPU/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Rows shorter than this are left to LLVM: a vector loop would run mostly
/// masked lanes.
constexpr int64_t kMinVectorRow = 4;

/// How a reduction along the vector dimension combines: the body is
/// `yield combine(out, x)`.
struct Combiner {
  Operation *op = nullptr;        // the combining op in the body
  Value term;                     // x
  vector::CombiningKind kind;
  double neutral;                 // combine(neutral, y) == y
};

/// A bufferized linalg.generic and how to vectorize it.
struct LoopPlan {
  linalg::GenericOp op;
  SmallVector<int64_t> ranges;
  unsigned vecDim = 0;
  /// The vector runs along a reduced dimension (with `combiner`); otherwise
  /// along C's contiguous dimension.
  bool alongReduction = false;
  Combiner combiner;
};

/// Ops the body may hold: elementwise-mappable arith/math ops (no integer
/// division, whose masked lanes could trap), constants and linalg.index.
bool isVectorizableBodyOp(Operation &op) {
  if (isa<linalg::IndexOp, arith::ConstantOp>(op))
    return true;
  if (isa<arith::DivSIOp, arith::DivUIOp, arith::RemSIOp, arith::RemUIOp,
          arith::CeilDivSIOp, arith::CeilDivUIOp, arith::FloorDivSIOp>(op))
    return false;
  return OpTrait::hasElementwiseMappableTraits(&op) &&
         op.getNumRegions() == 0 && op.getNumResults() == 1;
}

/// Whether every input that uses loop dimension `d` has it as its
/// contiguous (last, unit-stride) dimension.
bool readContiguouslyAlong(linalg::GenericOp op, unsigned d) {
  for (OpOperand *in : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(in);
    bool uses = false;
    for (unsigned i = 0; i < map.getNumResults(); ++i)
      uses |= mapResultDim(map, i) == d;
    if (!uses)
      continue;
    if (map.getNumResults() == 0 ||
        mapResultDim(map, map.getNumResults() - 1) != d ||
        !hasUnitInnermostStride(in->get()))
      return false;
  }
  return true;
}

/// The body's yield as combine(out, x) with an associative combine.
std::optional<Combiner> matchCombiner(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  Value out = body.getArguments().back();
  Operation *comb =
      cast<linalg::YieldOp>(body.getTerminator()).getOperand(0).getDefiningOp();
  if (!comb || comb->getBlock() != &body || comb->getNumOperands() != 2)
    return std::nullopt;
  Value x = comb->getOperand(0) == out ? comb->getOperand(1)
                                       : comb->getOperand(0);
  if (comb->getOperand(0) != out && comb->getOperand(1) != out)
    return std::nullopt;
  // The output is read only here.
  for (Operation *user : out.getUsers())
    if (user != comb)
      return std::nullopt;
  constexpr double inf = std::numeric_limits<double>::infinity();
  Combiner c{comb, x, vector::CombiningKind::ADD, 0};
  if (auto add = dyn_cast<arith::AddFOp>(comb)) {
    if (!arith::bitEnumContainsAll(add.getFastmath(),
                                   arith::FastMathFlags::reassoc))
      return std::nullopt;
    c.kind = vector::CombiningKind::ADD;
    c.neutral = -0.0;
  } else if (isa<arith::MaximumFOp>(comb)) {
    c.kind = vector::CombiningKind::MAXIMUMF;
    c.neutral = -inf;
  } else if (isa<arith::MinimumFOp>(comb)) {
    c.kind = vector::CombiningKind::MINIMUMF;
    c.neutral = inf;
  } else {
    return std::nullopt;
  }
  if (!x.getType().isF32())
    return std::nullopt;
  return c;
}

std::optional<LoopPlan> planLoop(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1)
    return std::nullopt;
  LoopPlan plan;
  plan.op = op;
  plan.ranges = op.getStaticLoopRanges();
  if (plan.ranges.empty() ||
      llvm::any_of(plan.ranges, ShapedType::isDynamic))
    return std::nullopt;
  for (AffineMap map : op.getIndexingMapsArray())
    if (!isDimsAndZeros(map))
      return std::nullopt;
  for (Operation &o : op.getRegion().front().without_terminator())
    if (!isVectorizableBodyOp(o))
      return std::nullopt;

  // Along C's contiguous dimension.
  AffineMap cMap = op.getIndexingMapsArray().back();
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  if (cMap.getNumResults() > 0 && hasUnitInnermostStride(op.getDpsInits()[0])) {
    std::optional<unsigned> n = mapResultDim(cMap, cMap.getNumResults() - 1);
    if (n && *n != kConstantZeroDim &&
        iters[*n] == utils::IteratorType::parallel &&
        plan.ranges[*n] >= kMinVectorRow && readContiguouslyAlong(op, *n)) {
      plan.vecDim = *n;
      return plan;
    }
  }
  // Along the one reduced dimension.
  if (op.getNumReductionLoops() != 1)
    return std::nullopt;
  for (unsigned d = 0; d < iters.size(); ++d)
    if (iters[d] == utils::IteratorType::reduction)
      plan.vecDim = d;
  std::optional<Combiner> comb = matchCombiner(op);
  if (!comb || plan.ranges[plan.vecDim] < kMinVectorRow ||
      !readContiguouslyAlong(op, plan.vecDim))
    return std::nullopt;
  plan.alongReduction = true;
  plan.combiner = *comb;
  return plan;
}

class LoopVectorizer : public CPUVectorEmitter {
public:
  LoopVectorizer(OpBuilder &b, const LoopPlan &plan, int64_t lanes)
      : CPUVectorEmitter(b, plan.op->getLoc(), lanes, plan.ranges.size()),
        plan(plan), op(plan.op) {
    maps = op.getIndexingMapsArray();
  }

  void emit() { emitOuter(0); }

private:
  /// Loops over the parallel dimensions other than the vector one.
  void emitOuter(unsigned d);
  /// The vector loop (full vectors, then the masked tail).
  void emitVectorLoop();
  void emitAlongParallel(Value base, int64_t lanes);
  void emitAlongReduction();
  /// Loops over the reduced dimensions inside the vector loop, carrying the
  /// output vector.
  Value emitInnerReductions(unsigned d, Value acc, Value base, int64_t lanes);
  /// Clones the body with the current dimension values; `out` is the value
  /// of the output block argument. Returns the value the body yields, or
  /// `stopAt`'s operand `term` when `stopAt` is given.
  Value emitBody(Value out, Value base, int64_t lanes, Operation *stopAt = {},
                 Value term = {});
  /// A copy of the elementwise op `o` (attributes and properties kept) on
  /// `operands`, scalars among them broadcast, with vector results.
  Operation *cloneOnVectors(Operation *o, ArrayRef<Value> operands) {
    IRMapping local;
    for (auto [orig, v] : llvm::zip(o->getOperands(), operands))
      local.map(orig, isa<VectorType>(v.getType()) ? v : splat(v));
    Operation *copy = b.clone(*o, local);
    for (OpResult r : copy->getResults())
      r.setType(VectorType::get({vw}, r.getType()));
    return copy;
  }
  Value splat(Value scalar) {
    return vector::BroadcastOp::create(
        b, loc, VectorType::get({vw}, scalar.getType()), scalar);
  }
  Value floatSplat(double v) {
    auto type = VectorType::get({vw}, b.getF32Type());
    return arith::ConstantOp::create(
        b, loc, type, DenseElementsAttr::get(type, b.getF32FloatAttr(v)));
  }

  const LoopPlan &plan;
  linalg::GenericOp op;
  SmallVector<AffineMap> maps;
};

void LoopVectorizer::emitOuter(unsigned d) {
  if (d == plan.ranges.size()) {
    if (plan.alongReduction)
      emitAlongReduction();
    else
      emitVectorLoop();
    return;
  }
  bool outer = d != plan.vecDim && plan.ranges[d] > 1 &&
               op.getIteratorTypesArray()[d] == utils::IteratorType::parallel;
  if (!outer)
    return emitOuter(d + 1);
  forLoop(0, plan.ranges[d], 1, [&](Value iv) {
    dims[d] = iv;
    emitOuter(d + 1);
  });
}

void LoopVectorizer::emitVectorLoop() {
  int64_t n = plan.ranges[plan.vecDim];
  int64_t full = n / vw * vw;
  forLoop(0, full, vw, [&](Value base) { emitAlongParallel(base, vw); });
  if (full < n)
    emitAlongParallel(index(full), n - full);
}

void LoopVectorizer::emitAlongParallel(Value base, int64_t lanes) {
  dims[plan.vecDim] = base;
  Value outMem = op.getDpsInits()[0];
  Block &body = op.getRegion().front();
  // The output is loaded only when the body reads it (always when loops
  // over reduced dimensions carry it).
  Value out;
  if (!body.getArguments().back().use_empty() ||
      op.getNumReductionLoops() > 0)
    out = loadVector(outMem, indices(maps.back()), lanes);
  Value result = emitInnerReductions(0, out, base, lanes);
  dims[plan.vecDim] = base;
  storeVector(result, outMem, indices(maps.back()), lanes);
}

Value LoopVectorizer::emitInnerReductions(unsigned d, Value acc, Value base,
                                          int64_t lanes) {
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  while (d < iters.size() && iters[d] != utils::IteratorType::reduction)
    ++d;
  if (d == iters.size())
    return emitBody(acc, base, lanes);
  // The output vector is carried through the reduced dimension's loop.
  auto loop = scf::ForOp::create(b, loc, index(0), index(plan.ranges[d]),
                                 index(1), ValueRange{acc});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    dims[d] = loop.getInductionVar();
    Value next =
        emitInnerReductions(d + 1, loop.getRegionIterArgs()[0], base, lanes);
    scf::YieldOp::create(b, loc, next);
  }
  dims[d] = Value();
  return loop.getResult(0);
}

void LoopVectorizer::emitAlongReduction() {
  const Combiner &comb = plan.combiner;
  int64_t n = plan.ranges[plan.vecDim];
  int64_t full = n / vw * vw;
  Value neutral = floatSplat(comb.neutral);
  auto step = [&](Value acc, Value base, int64_t lanes) -> Value {
    Value x = emitBody(/*out=*/{}, base, lanes, comb.op, comb.term);
    if (!isa<VectorType>(x.getType()))
      x = splat(x);
    if (lanes < vw)
      x = arith::SelectOp::create(b, loc, laneMask(lanes), x, neutral);
    // The body's own combining op, on vectors (its fastmath flags kept).
    return cloneOnVectors(comb.op, {acc, x})->getResult(0);
  };
  Value acc = neutral;
  if (full > 0) {
    auto loop = scf::ForOp::create(b, loc, index(0), index(full), index(vw),
                                   ValueRange{acc});
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    scf::YieldOp::create(
        b, loc, step(loop.getRegionIterArgs()[0], loop.getInductionVar(), vw));
    b.setInsertionPointAfter(loop);
    acc = loop.getResult(0);
  }
  if (full < n)
    acc = step(acc, index(full), n - full);
  auto fm = arith::FastMathFlags::none;
  if (auto add = dyn_cast<arith::AddFOp>(comb.op))
    fm = add.getFastmath();
  Value total = vector::ReductionOp::create(b, loc, comb.kind, acc, fm);
  // Into the output element, with the body's combining op.
  dims[plan.vecDim] = Value();
  Value outMem = op.getDpsInits()[0];
  SmallVector<Value> idx = indices(maps.back());
  Value old = memref::LoadOp::create(b, loc, outMem, idx);
  IRMapping scalars;
  scalars.map(comb.op->getOperands(), ValueRange{old, total});
  Value combined = b.clone(*comb.op, scalars)->getResult(0);
  memref::StoreOp::create(b, loc, combined, outMem, idx);
}

Value LoopVectorizer::emitBody(Value out, Value base, int64_t lanes,
                               Operation *stopAt, Value term) {
  Block &body = op.getRegion().front();
  IRMapping map;
  dims[plan.vecDim] = base;
  for (OpOperand *in : op.getDpsInputOperands()) {
    AffineMap m = op.getMatchingIndexingMap(in);
    bool varies = false;
    for (unsigned i = 0; i < m.getNumResults(); ++i)
      varies |= mapResultDim(m, i) == plan.vecDim;
    SmallVector<Value> idx = indices(m);
    Value v = varies ? loadVector(in->get(), idx, lanes)
                     : memref::LoadOp::create(b, loc, in->get(), idx);
    map.map(body.getArgument(in->getOperandNumber()), v);
  }
  if (out)
    map.map(body.getArguments().back(), out);
  for (Operation &o : body.without_terminator()) {
    if (&o == stopAt)
      break;
    if (auto idxOp = dyn_cast<linalg::IndexOp>(o)) {
      unsigned d = idxOp.getDim();
      Value v = dims[d] ? dims[d] : index(0);
      if (d == plan.vecDim) {
        Value lanesIdx =
            vector::StepOp::create(b, loc, VectorType::get({vw}, b.getIndexType()));
        v = arith::AddIOp::create(b, loc, splat(base), lanesIdx);
      }
      map.map(idxOp.getResult(), v);
      continue;
    }
    SmallVector<Value> operands;
    bool vector = false;
    for (Value operand : o.getOperands()) {
      Value v = map.lookupOrDefault(operand);
      vector |= isa<VectorType>(v.getType());
      operands.push_back(v);
    }
    if (!vector) {
      map.map(o.getResults(), b.clone(o, map)->getResults());
      continue;
    }
    map.map(o.getResults(), cloneOnVectors(&o, operands)->getResults());
  }
  Value result =
      stopAt ? term
             : cast<linalg::YieldOp>(body.getTerminator()).getOperand(0);
  result = map.lookupOrDefault(result);
  if (!stopAt && !isa<VectorType>(result.getType()))
    result = splat(result);
  return result;
}

/// linalg.fill of a memref whose last dimension is contiguous: vector
/// stores of a splat.
void vectorizeFill(OpBuilder &b, linalg::FillOp fill, int64_t lanes) {
  Value mem = fill.getOutputs()[0];
  auto type = cast<MemRefType>(mem.getType());
  CPUVectorEmitter e(b, fill.getLoc(), lanes, type.getRank());
  Value value = fill.getInputs()[0];
  Value splat = vector::BroadcastOp::create(
      b, fill.getLoc(), VectorType::get({lanes}, value.getType()), value);
  std::function<void(unsigned, SmallVector<Value> &)> rec =
      [&](unsigned d, SmallVector<Value> &idx) {
        int64_t size = type.getDimSize(d);
        if (d + 1 < type.getRank()) {
          e.forLoop(0, size, 1, [&](Value iv) {
            idx.push_back(iv);
            rec(d + 1, idx);
            idx.pop_back();
          });
          return;
        }
        int64_t full = size / lanes * lanes;
        auto store = [&](Value base, int64_t n) {
          idx.push_back(base);
          e.storeVector(splat, mem, idx, n);
          idx.pop_back();
        };
        e.forLoop(0, full, lanes, [&](Value base) { store(base, lanes); });
        if (full < size)
          store(e.index(full), size - full);
      };
  SmallVector<Value> idx;
  rec(0, idx);
}

bool isVectorizableFill(linalg::FillOp fill) {
  if (!fill.hasPureBufferSemantics())
    return false;
  auto type = dyn_cast<MemRefType>(fill.getOutputs()[0].getType());
  return type && type.hasStaticShape() && type.getRank() > 0 &&
         type.getShape().back() >= kMinVectorRow &&
         hasUnitInnermostStride(fill.getOutputs()[0]) &&
         fill.getInputs()[0].getType().isIntOrFloat();
}

struct AttnCPUVectorizeLoopsPass
    : public mlir::attn::impl::AttnCPUVectorizeLoopsBase<
          AttnCPUVectorizeLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    FailureOr<CPUVectorShape> shape =
        resolveCPUVectorShape(getOperation(), targetName, getArgument());
    if (failed(shape))
      return signalPassFailure();
    SmallVector<LoopPlan> plans;
    SmallVector<linalg::FillOp> fills;
    getOperation()->walk([&](Operation *op) {
      if (auto generic = dyn_cast<linalg::GenericOp>(op)) {
        if (std::optional<LoopPlan> plan = planLoop(generic))
          plans.push_back(*plan);
      } else if (auto fill = dyn_cast<linalg::FillOp>(op)) {
        if (isVectorizableFill(fill))
          fills.push_back(fill);
      }
    });
    IRRewriter rewriter(&getContext());
    for (const LoopPlan &plan : plans) {
      rewriter.setInsertionPoint(plan.op);
      LoopVectorizer(rewriter, plan, shape->lanes).emit();
      rewriter.eraseOp(plan.op);
    }
    for (linalg::FillOp fill : fills) {
      rewriter.setInsertionPoint(fill);
      vectorizeFill(rewriter, fill, shape->lanes);
      rewriter.eraseOp(fill);
    }
  }
};

} // namespace
