//===- ParallelizeHeads.cpp - one attn op per (batch, head) in a forall ---===//
//
// Every (batch, head) pair of an attention op is an independent problem: no
// state, score or normalizer crosses heads. This pass rewrites an op on
// [B, T, H, D] tensors into an scf.forall over (b, h) whose body is the same
// op (same attributes, so the form and chunk size chosen for the whole op
// stay) on the [1, T, 1, D] slices, its results written back with
// tensor.parallel_insert_slice. Later, scf.forall becomes an OpenMP
// worksharing loop, so the heads run on all cores.
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/Attn/IR/Attn.h"
#include "attn/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNPARALLELIZEHEADS
#include "attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Where the batch and head dimensions of an operand or result are: [B, T,
/// H, ...] for per-step tensors, [B, H, ...] for states.
struct Layout {
  int64_t batchDim = 0, headDim = 2;
};

Layout layoutOf(AttentionOpInterface op, Value v) {
  if (v == op.getInitialStateOrNull() || v == op.getFinalStateOrNull())
    return {0, 1};
  return {0, 2};
}

/// Offsets/sizes selecting (b, h) of `full` (size 1 in both).
void headSlice(OpBuilder &b, Location loc, Value full, Layout layout,
               Value bi, Value hi, SmallVector<OpFoldResult> &offsets,
               SmallVector<OpFoldResult> &sizes,
               SmallVector<OpFoldResult> &strides) {
  sizes = tensor::getMixedSizes(b, loc, full);
  offsets.assign(sizes.size(), b.getIndexAttr(0));
  strides.assign(sizes.size(), b.getIndexAttr(1));
  offsets[layout.batchDim] = bi;
  offsets[layout.headDim] = hi;
  sizes[layout.batchDim] = b.getIndexAttr(1);
  sizes[layout.headDim] = b.getIndexAttr(1);
}

RankedTensorType perHeadType(Value v, Layout layout) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[layout.batchDim] = 1;
  shape[layout.headDim] = 1;
  return RankedTensorType::get(shape, type.getElementType());
}

/// Dimension `i` of result `r` of `op`, from the operand that has it: o is
/// [B, Tq, H, Dv] (q and v), the final state [B, H, Dk, Dv] (q and v).
OpFoldResult resultDim(OpBuilder &b, Location loc, AttentionOpInterface op,
                       Value r, int64_t i) {
  static const int64_t oSource[4][2] = {{0, 0}, {0, 1}, {0, 2}, {1, 3}};
  static const int64_t sSource[4][2] = {{0, 0}, {0, 2}, {0, 3}, {1, 3}};
  const int64_t(*source)[2] = r == op.getO() ? oSource : sSource;
  Value from = source[i][0] == 0 ? op.getQ() : op.getV();
  return tensor::getMixedSize(b, loc, from, source[i][1]);
}

struct ParallelizeHeads : OpInterfaceRewritePattern<AttentionOpInterface> {
  ParallelizeHeads(MLIRContext *ctx, bool groupedOnly)
      : OpInterfaceRewritePattern(ctx), groupedOnly(groupedOnly) {}

  LogicalResult matchAndRewrite(AttentionOpInterface op,
                                PatternRewriter &rewriter) const override {
    // Grouped heads must be split whatever else holds: nothing after this
    // pass reads k/v heads shared by several query heads.
    if (!op.hasGroupedHeads()) {
      if (groupedOnly)
        return failure();
      if (op.getBatchSize() == 1 && op.getNumHeads() == 1)
        return failure(); // Already one problem.
      if (op->getParentOfType<scf::ForallOp>())
        return failure(); // Inside a parallel loop already.
    }

    Location loc = op.getLoc();
    Operation *raw = op.getOperation();

    SmallVector<Value> inits;
    for (Value r : raw->getResults()) {
      // The results' dynamic sizes are those of the operands they come from.
      // The init keeps the result's own type even where an operand knows the
      // size statically: a more static type would not match the result's
      // users, nor the per-head results inserted into it.
      SmallVector<Value> dynamicSizes;
      auto type = cast<RankedTensorType>(r.getType());
      for (int64_t i = 0; i < type.getRank(); ++i)
        if (type.isDynamicDim(i))
          dynamicSizes.push_back(getValueOrCreateConstantIndexOp(
              rewriter, loc, resultDim(rewriter, loc, op, r, i)));
      inits.push_back(
          tensor::EmptyOp::create(rewriter, loc, type, dynamicSizes));
    }
    SmallVector<OpFoldResult> bounds{
        tensor::getMixedSize(rewriter, loc, op.getQ(), 0),
        tensor::getMixedSize(rewriter, loc, op.getQ(), 2)};
    auto forall = scf::ForallOp::create(rewriter, loc, bounds, inits,
                                        /*mapping=*/std::nullopt);
    Value bi = forall.getInductionVar(0), hi = forall.getInductionVar(1);

    // The body: slice every operand to its (b, h) part, clone the op on them.
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(forall.getTerminator());
    // k and v: head h / (Hq / Hkv).
    Value group = arith::DivUIOp::create(
        rewriter, loc, tensor::DimOp::create(rewriter, loc, op.getQ(), 2),
        tensor::DimOp::create(rewriter, loc, op.getK(), 2));
    Value kvHead = arith::DivUIOp::create(rewriter, loc, hi, group);
    IRMapping map;
    for (Value operand : raw->getOperands()) {
      SmallVector<OpFoldResult> offsets, sizes, strides;
      Layout layout = layoutOf(op, operand);
      bool kv = operand == op.getK() || operand == op.getV();
      headSlice(rewriter, loc, operand, layout, bi, kv ? kvHead : hi, offsets,
                sizes, strides);
      map.map(operand, tensor::ExtractSliceOp::create(
                           rewriter, loc, perHeadType(operand, layout),
                           operand, offsets, sizes, strides));
    }
    // A value used in several roles (k as v) maps to one slice: same value,
    // same shape, so the roles agree on the head.
    Operation *inner = rewriter.clone(*raw, map);
    for (auto [i, r] : llvm::enumerate(inner->getResults()))
      r.setType(perHeadType(raw->getResult(i),
                            layoutOf(op, raw->getResult(i))));

    // Sizes are computed in the body: the terminator holds only the inserts.
    SmallVector<SmallVector<OpFoldResult>> offsets, sizes, strides;
    for (auto [i, r] : llvm::enumerate(inner->getResults())) {
      headSlice(rewriter, loc, forall.getRegionIterArgs()[i],
                layoutOf(op, raw->getResult(i)), bi, hi,
                offsets.emplace_back(), sizes.emplace_back(),
                strides.emplace_back());
    }
    rewriter.setInsertionPointToStart(forall.getTerminator().getBody());
    for (auto [i, r] : llvm::enumerate(inner->getResults()))
      tensor::ParallelInsertSliceOp::create(rewriter, loc, r,
                                            forall.getRegionIterArgs()[i],
                                            offsets[i], sizes[i], strides[i]);
    rewriter.replaceOp(op, forall.getResults());
    return success();
  }

private:
  bool groupedOnly;
};

struct AttnParallelizeHeadsPass
    : mlir::attn::impl::AttnParallelizeHeadsBase<AttnParallelizeHeadsPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ParallelizeHeads>(&getContext(), groupedOnly);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};

} // namespace
