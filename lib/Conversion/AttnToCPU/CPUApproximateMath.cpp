//===- CPUApproximateMath.cpp - vectorizable exponentials on the CPU ------===//
#include "attn/Conversion/AttnToCPU/AttnToCPU.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNCPUAPPROXIMATEMATH
#include "attn/Conversion/AttnToCPU/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

/// Below this, exp(x) is not a normal f32 (ln of the smallest normal,
/// 2^-126). The polynomial clamps its argument a little lower and returns a
/// tiny nonzero value there; the lowerings need exp(-inf) = 0 exactly
/// (masked scores, fully decayed states), so such x give 0.
constexpr double kMinNormalExponent = -87.33654475;

/// exp(x) -> select(x < kMinNormalExponent, 0, exp(x)) for every f32 exp.
void flushTinyExponentials(Operation *root) {
  SmallVector<math::ExpOp> exps;
  root->walk([&](math::ExpOp op) {
    if (getElementTypeOrSelf(op.getType()).isF32())
      exps.push_back(op);
  });
  for (math::ExpOp op : exps) {
    OpBuilder b(op->getContext());
    b.setInsertionPointAfter(op);
    Location loc = op.getLoc();
    Type type = op.getType();
    auto splat = [&](double v) -> Value {
      TypedAttr attr = b.getF32FloatAttr(v);
      if (auto vec = dyn_cast<ShapedType>(type))
        attr = DenseElementsAttr::get(vec, attr);
      return arith::ConstantOp::create(b, loc, type, attr);
    };
    Value tiny = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT,
                                       op.getOperand(), splat(kMinNormalExponent));
    auto flushed = arith::SelectOp::create(b, loc, tiny, splat(0.0), op);
    op.getResult().replaceAllUsesExcept(flushed, flushed);
  }
}

struct AttnCPUApproximateMathPass
    : public mlir::attn::impl::AttnCPUApproximateMathBase<
          AttnCPUApproximateMathPass> {
  void runOnOperation() override {
    flushTinyExponentials(getOperation());
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(
        patterns,
        [](StringRef name) { return name == math::ExpOp::getOperationName(); });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
