//===- CPUUnrollJam.cpp - register blocking of contractions on the CPU ----===//
#include "attn/Conversion/AttnToCPU/AttnToCPU.h"

#include "mlir/Dialect/Affine/Analysis/LoopAnalysis.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Affine/LoopUtils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNCPUUNROLLJAM
#include "attn/Conversion/AttnToCPU/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

/// The loop dimension of `op` to unroll-and-jam: the innermost parallel one,
/// other than the innermost loop, with a static extent of at least `factor`.
std::optional<unsigned> jamDimension(linalg::GenericOp op, unsigned factor) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  // Affine loops need bounds that are affine symbols; dynamic sizes (the
  // slices of packed sequences) come from values defined inside non-affine
  // loops, so such ops stay linalg.
  if (llvm::any_of(ranges, ShapedType::isDynamic))
    return std::nullopt;
  for (int d = int(iterators.size()) - 2; d >= 0; --d)
    if (iterators[d] == utils::IteratorType::parallel &&
        ranges[d] >= int64_t(factor))
      return unsigned(d);
  return std::nullopt;
}

struct AttnCPUUnrollJamPass
    : public mlir::attn::impl::AttnCPUUnrollJamBase<AttnCPUUnrollJamPass> {
  using Base::Base;

  void runOnOperation() override {
    if (factor <= 1)
      return;
    SmallVector<linalg::GenericOp> contractions;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (op.hasPureBufferSemantics() && op.getNumReductionLoops() == 1)
        contractions.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : contractions) {
      std::optional<unsigned> dim = jamDimension(op, factor);
      if (!dim)
        continue;
      unsigned numLoops = op.getNumLoops();
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::LinalgLoops> loops =
          linalg::linalgOpToAffineLoops(rewriter, op);
      if (failed(loops) || loops->size() != numLoops) {
        op.emitError("attn-cpu-unroll-jam: could not lower to affine loops");
        return signalPassFailure();
      }
      rewriter.eraseOp(op);
      // A loop unroll-and-jam cannot handle is left as it is (still right).
      (void)affine::loopUnrollJamByFactor(
          cast<affine::AffineForOp>((*loops)[*dim]), factor);
    }
  }
};

} // namespace
