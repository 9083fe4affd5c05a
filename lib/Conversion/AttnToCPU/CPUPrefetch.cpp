//===- CPUPrefetch.cpp - prefetch the next chunk of streamed operands -----===//
//
// The chunk loops of the linear family walk q, k, v and o a chunk of rows at
// a time, each row a few cache lines at a stride of H * D elements (the
// [B, T, H, D] layout): a pattern the hardware prefetchers of x86 cores
// follow poorly, so every chunk starts with cache misses to DRAM. This pass
// prefetches, at the top of each iteration of a sequential loop, the slice of
// every streamed buffer the next iteration will touch: a slice of a function
// argument (the op's inputs and outputs) whose offsets depend on the
// induction variable. One prefetch per cache line; writes (o) as writes.
//
//===----------------------------------------------------------------------===//
#include "attn/Conversion/AttnToCPU/AttnToCPU.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <functional>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNCPUPREFETCH
#include "attn/Conversion/AttnToCPU/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

constexpr int64_t kCacheLineBytes = 64;
/// Slices larger than this are not prefetched as a whole (the loop would
/// issue more prefetches than it has work).
constexpr int64_t kMaxPrefetchBytes = 64 * 1024;

/// Whether `v` is a view into an argument of the enclosing function (the
/// buffers a caller passes in: in DRAM, not produced by the loop nest).
bool viewsFunctionArgument(Value v) {
  while (true) {
    if (auto sub = v.getDefiningOp<memref::SubViewOp>()) {
      v = sub.getSource();
      continue;
    }
    auto arg = dyn_cast<BlockArgument>(v);
    if (!arg)
      return false;
    Operation *owner = arg.getOwner()->getParentOp();
    if (isa<FunctionOpInterface>(owner))
      return true;
    // A loop-carried buffer the loop passes on unchanged: its initial value.
    auto loop = dyn_cast<scf::ForOp>(owner);
    if (!loop || arg.getArgNumber() == 0)
      return false;
    unsigned i = arg.getArgNumber() - 1;
    if (loop.getYieldedValues()[i] != arg)
      return false;
    v = loop.getInitArgs()[i];
  }
}

/// Whether any op in the body writes through `view` (memref effects).
bool isWrittenThrough(memref::SubViewOp view) {
  SmallVector<Value> worklist{view.getResult()};
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    for (Operation *user : v.getUsers()) {
      if (auto sub = dyn_cast<memref::SubViewOp>(user)) {
        worklist.push_back(sub.getResult());
        continue;
      }
      auto effects = dyn_cast<MemoryEffectOpInterface>(user);
      if (effects && effects.getEffectOnValue<MemoryEffects::Write>(v))
        return true;
    }
  }
  return false;
}

/// Clones the ops of `loop`'s body that `value` depends on, with the
/// induction variable mapped to `next`; returns the value at `next`.
Value valueAtNext(OpBuilder &b, scf::ForOp loop, Value value,
                  IRMapping &map) {
  if (map.contains(value))
    return map.lookup(value);
  Operation *def = value.getDefiningOp();
  if (!def || !loop.getBody()->findAncestorOpInBlock(*def) ||
      def->getBlock() != loop.getBody())
    return value; // defined outside the body: the same at every iteration
  for (Value operand : def->getOperands())
    valueAtNext(b, loop, operand, map);
  Operation *copy = b.clone(*def, map);
  return copy->getResult(cast<OpResult>(value).getResultNumber());
}

/// Whether `value` is computed in the loop body from the induction variable
/// by pure ops only (so it can be recomputed for the next iteration).
bool dependsPurelyOnIV(scf::ForOp loop, Value value, bool &usesIV) {
  if (value == loop.getInductionVar()) {
    usesIV = true;
    return true;
  }
  Operation *def = value.getDefiningOp();
  if (!def || def->getBlock() != loop.getBody())
    return !isa<BlockArgument>(value) ||
           cast<BlockArgument>(value).getOwner() != loop.getBody();
  if (!isPure(def) || def->getNumRegions() != 0)
    return false;
  for (Value operand : def->getOperands())
    if (!dependsPurelyOnIV(loop, operand, usesIV))
      return false;
  return true;
}

/// One prefetch per cache line of the static-shaped `view`.
void prefetchLines(OpBuilder &b, Location loc, Value view, bool write) {
  auto type = cast<MemRefType>(view.getType());
  int64_t elemBytes = std::max<int64_t>(type.getElementTypeBitWidth() / 8, 1);
  int64_t lineElems = std::max<int64_t>(kCacheLineBytes / elemBytes, 1);
  SmallVector<Value> idx;
  std::function<void(unsigned)> rec = [&](unsigned d) {
    bool inner = d + 1 == type.getRank();
    int64_t size = type.getDimSize(d);
    int64_t step = inner ? lineElems : 1;
    if (size == 1) {
      idx.push_back(arith::ConstantIndexOp::create(b, loc, 0));
      inner ? (void)memref::PrefetchOp::create(
                  b, loc, view, idx, b.getBoolAttr(write),
                  b.getI32IntegerAttr(3), b.getBoolAttr(true))
            : rec(d + 1);
      idx.pop_back();
      return;
    }
    auto loop = scf::ForOp::create(
        b, loc, arith::ConstantIndexOp::create(b, loc, 0),
        arith::ConstantIndexOp::create(b, loc, size),
        arith::ConstantIndexOp::create(b, loc, step));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(loop.getBody()->getTerminator());
    idx.push_back(loop.getInductionVar());
    if (inner)
      memref::PrefetchOp::create(b, loc, view, idx, b.getBoolAttr(write),
                                 b.getI32IntegerAttr(3), b.getBoolAttr(true));
    else
      rec(d + 1);
    idx.pop_back();
  };
  rec(0);
}

void prefetchNextIteration(scf::ForOp loop) {
  SmallVector<memref::SubViewOp> streamed;
  for (Operation &op : loop.getBody()->without_terminator()) {
    auto view = dyn_cast<memref::SubViewOp>(op);
    if (!view || !viewsFunctionArgument(view.getSource()) ||
        !view.getType().hasStaticShape() || view.getType().getRank() == 0)
      continue;
    auto type = view.getType();
    int64_t bytes = type.getNumElements() *
                    std::max<int64_t>(type.getElementTypeBitWidth() / 8, 1);
    if (bytes > kMaxPrefetchBytes)
      continue;
    bool usesIV = false, pure = true;
    for (Value operand : view->getOperands())
      pure &= dependsPurelyOnIV(loop, operand, usesIV);
    if (pure && usesIV)
      streamed.push_back(view);
  }
  if (streamed.empty())
    return;
  OpBuilder b(loop.getContext());
  Location loc = loop.getLoc();
  b.setInsertionPointToStart(loop.getBody());
  Value next = arith::AddIOp::create(b, loc, loop.getInductionVar(),
                                     loop.getStep());
  Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                        next, loop.getUpperBound());
  auto guarded = scf::IfOp::create(b, loc, inRange, /*withElseRegion=*/false);
  b.setInsertionPoint(guarded.thenBlock()->getTerminator());
  IRMapping map;
  map.map(loop.getInductionVar(), next);
  for (memref::SubViewOp view : streamed) {
    Value at = valueAtNext(b, loop, view.getResult(), map);
    prefetchLines(b, loc, at, isWrittenThrough(view));
  }
}

struct AttnCPUPrefetchPass
    : public mlir::attn::impl::AttnCPUPrefetchBase<AttnCPUPrefetchPass> {
  void runOnOperation() override {
    SmallVector<scf::ForOp> loops;
    getOperation()->walk([&](scf::ForOp loop) { loops.push_back(loop); });
    for (scf::ForOp loop : loops)
      prefetchNextIteration(loop);
  }
};

} // namespace
