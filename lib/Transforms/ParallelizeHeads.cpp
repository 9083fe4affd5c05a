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
// Packed sequences (cu_seqlens, B = 1) are independent problems as well: the
// loop runs over (sequence n, head h), and the body's op, without
// cu_seqlens, reads the dynamic-length slice [1, len_n, 1, D] at offset
// cu_seqlens[n] and the state [n, h]. Every lowering then sees one sequence,
// so no chunk, score or state ever spans two of them.
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/Attn/IR/Attn.h"
#include "attn/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
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

/// How the per-(b, h) op's operand or result is cut from the whole op's.
enum class Cut {
  PerStep, // [B, T, H, ...]: (b, h), and the sequence's range of T if packed
  KV,      // k and v: the same, at the k/v head of query head h
  State,   // [B, H, ...] (or [N, H, ...] packed): (b, h) / (n, h)
  Whole,   // shared by every head (the FAVOR+ projection)
  Dropped, // cu_seqlens: each per-(n, h) op is one sequence
};

Cut cutOf(AttentionOpInterface op, Value v) {
  if (v == op.getCuSeqlensOrNull())
    return Cut::Dropped;
  if (v == op.getProjectionOrNull())
    return Cut::Whole;
  if (v == op.getInitialStateOrNull() || v == op.getFinalStateOrNull())
    return Cut::State;
  if (v == op.getK() || v == op.getV())
    return Cut::KV;
  return Cut::PerStep;
}

/// Where one (b, h) problem -- or (n, h) for packed sequences -- lies.
struct Problem {
  Value b, h, kvHead;
  Value start, length; // the sequence's range of T; null unless packed
};

/// Offsets/sizes of `cut` selecting problem `p` of `full`; the selected
/// tensor keeps every dimension (size 1 for batch and head).
void sliceOf(OpBuilder &b, Location loc, Value full, Cut cut,
             const Problem &p, SmallVector<OpFoldResult> &offsets,
             SmallVector<OpFoldResult> &sizes,
             SmallVector<OpFoldResult> &strides) {
  sizes = tensor::getMixedSizes(b, loc, full);
  offsets.assign(sizes.size(), b.getIndexAttr(0));
  strides.assign(sizes.size(), b.getIndexAttr(1));
  int64_t headDim = cut == Cut::State ? 1 : 2;
  // Packed, b is the sequence: it indexes the states, while the per-step
  // tensors (B = 1) are sliced along T instead.
  if (!p.start || cut == Cut::State)
    offsets[0] = p.b;
  offsets[headDim] = cut == Cut::KV ? p.kvHead : p.h;
  sizes[0] = b.getIndexAttr(1);
  sizes[headDim] = b.getIndexAttr(1);
  if (p.start && cut != Cut::State) {
    offsets[1] = p.start;
    sizes[1] = p.length;
  }
}

RankedTensorType perProblemType(Value v, Cut cut, bool packed) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[0] = 1;
  shape[cut == Cut::State ? 1 : 2] = 1;
  if (packed && cut != Cut::State)
    shape[1] = ShapedType::kDynamic;
  return RankedTensorType::get(shape, type.getElementType());
}

/// N, the number of packed sequences: cu_seqlens has N + 1 entries (0 for
/// an empty dynamic cu_seqlens, never a negative size).
OpFoldResult sequenceCount(OpBuilder &b, Location loc, Value cu) {
  AffineExpr d0;
  bindDims(b.getContext(), d0);
  AffineMap map = AffineMap::get(
      1, 0, {d0 - 1, getAffineConstantExpr(0, b.getContext())},
      b.getContext());
  return affine::makeComposedFoldedAffineMax(
      b, loc, map, {tensor::getMixedSize(b, loc, cu, 0)});
}

/// Dimension `i` of result `r` of `op`, from the operand that has it: o is
/// [B, Tq, H, Dv] (q and v), the final state [B, H, Dk, Dv] (q, or the
/// FAVOR+ projection for Dk, and v); `sequences`, when packed, is the
/// state's first dimension instead of B.
OpFoldResult resultDim(OpBuilder &b, Location loc, AttentionOpInterface op,
                       Value r, int64_t i, OpFoldResult sequences) {
  if (r == op.getO())
    return tensor::getMixedSize(b, loc, i == 3 ? op.getV() : op.getQ(), i);
  switch (i) {
  case 0:
    return sequences ? sequences : tensor::getMixedSize(b, loc, op.getQ(), 0);
  case 1:
    return tensor::getMixedSize(b, loc, op.getQ(), 2);
  case 2:
    if (Value w = op.getProjectionOrNull())
      return tensor::getMixedSize(b, loc, w, 0);
    return tensor::getMixedSize(b, loc, op.getQ(), 3);
  default:
    return tensor::getMixedSize(b, loc, op.getV(), 3);
  }
}

/// The range [start, start + length) of sequence n, read from cu_seqlens
/// and clamped into [0, limit]: offsets that are out of order or out of
/// range give empty or shortened sequences, never an access out of bounds.
std::pair<Value, Value> sequenceRange(OpBuilder &b, Location loc, Value cu,
                                      Value n, Value limit) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto offset = [&](Value i) -> Value {
    Value x = tensor::ExtractOp::create(b, loc, cu, ValueRange{i});
    Value idx = arith::IndexCastOp::create(b, loc, b.getIndexType(), x);
    Value nonNeg = arith::MaxSIOp::create(b, loc, idx, zero);
    return arith::MinSIOp::create(b, loc, nonNeg, limit);
  };
  Value start = offset(n);
  Value end = arith::MaxSIOp::create(
      b, loc, offset(arith::AddIOp::create(b, loc, n, one)), start);
  return {start, arith::SubIOp::create(b, loc, end, start)};
}

/// A copy of `op` on the mapped operands, with `drop` (an optional operand)
/// left out and results of `resultTypes`.
Operation *cloneWithout(OpBuilder &b, Operation *op, IRMapping &map,
                        Value drop, TypeRange resultTypes) {
  SmallVector<Value> operands;
  int64_t dropped = -1;
  for (OpOperand &operand : op->getOpOperands()) {
    if (drop && operand.get() == drop) {
      dropped = operand.getOperandNumber();
      continue;
    }
    operands.push_back(map.lookupOrDefault(operand.get()));
  }
  Attribute props = op->getPropertiesAsAttribute();
  // Ops with several optional operands record how many each group has.
  if (auto dict = dyn_cast_or_null<DictionaryAttr>(props); dict && dropped >= 0)
    if (auto segments = dict.getAs<DenseI32ArrayAttr>("operandSegmentSizes")) {
      SmallVector<int32_t> sizes(segments.asArrayRef());
      int64_t first = 0;
      for (int32_t &size : sizes) {
        if (dropped < first + size) {
          --size;
          break;
        }
        first += size;
      }
      NamedAttrList entries(dict);
      entries.set("operandSegmentSizes",
                  DenseI32ArrayAttr::get(b.getContext(), sizes));
      props = entries.getDictionary(b.getContext());
    }
  OperationState state(op->getLoc(), op->getName(), operands, resultTypes,
                       op->getDiscardableAttrDictionary().getValue());
  state.propertiesAttr = props;
  return b.create(state);
}

struct ParallelizeHeads : OpInterfaceRewritePattern<AttentionOpInterface> {
  ParallelizeHeads(MLIRContext *ctx, bool requiredOnly)
      : OpInterfaceRewritePattern(ctx), requiredOnly(requiredOnly) {}

  LogicalResult matchAndRewrite(AttentionOpInterface op,
                                PatternRewriter &rewriter) const override {
    // Grouped heads and packed sequences must be split whatever else
    // holds: the lowerings read neither k/v heads shared by several query
    // heads nor cu_seqlens.
    bool packed = op.hasPackedSequences();
    if (!op.hasGroupedHeads() && !packed) {
      if (requiredOnly)
        return failure();
      if (op.getBatchSize() == 1 && op.getNumHeads() == 1)
        return failure(); // Already one problem.
      if (op->getParentOfType<scf::ForallOp>())
        return failure(); // Inside a parallel loop already.
    }

    Location loc = op.getLoc();
    Operation *raw = op.getOperation();
    Value cu = op.getCuSeqlensOrNull();
    // The loop runs over (b, h), or (sequence n, h) when packed.
    OpFoldResult sequences =
        packed ? sequenceCount(rewriter, loc, cu) : OpFoldResult();

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
              rewriter, loc,
              resultDim(rewriter, loc, op, r, i, sequences)));
      Value init = tensor::EmptyOp::create(rewriter, loc, type, dynamicSizes);
      // Packed: positions outside every sequence (cu_seqlens not covering
      // all of T) are written by no iteration; they read as zeros.
      if (packed && r == op.getO()) {
        Value zero = arith::ConstantOp::create(
            rewriter, loc, rewriter.getZeroAttr(type.getElementType()));
        init = linalg::FillOp::create(rewriter, loc, zero, init).getResult(0);
      }
      inits.push_back(init);
    }
    SmallVector<OpFoldResult> bounds{
        packed ? sequences : tensor::getMixedSize(rewriter, loc, op.getQ(), 0),
        tensor::getMixedSize(rewriter, loc, op.getQ(), 2)};
    auto forall = scf::ForallOp::create(rewriter, loc, bounds, inits,
                                        /*mapping=*/std::nullopt);
    Problem p;
    p.b = forall.getInductionVar(0);
    p.h = forall.getInductionVar(1);

    // The body: slice every operand to its (b, h) part, clone the op on them.
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(forall.getTerminator());
    // k and v: head h / (Hq / Hkv).
    Value group = arith::DivUIOp::create(
        rewriter, loc, tensor::DimOp::create(rewriter, loc, op.getQ(), 2),
        tensor::DimOp::create(rewriter, loc, op.getK(), 2));
    p.kvHead = arith::DivUIOp::create(rewriter, loc, p.h, group);
    if (packed) {
      // Softmax may have Tq != Tk only when the verifier could not tell.
      Value limit = arith::MinUIOp::create(
          rewriter, loc, tensor::DimOp::create(rewriter, loc, op.getQ(), 1),
          tensor::DimOp::create(rewriter, loc, op.getK(), 1));
      std::tie(p.start, p.length) =
          sequenceRange(rewriter, loc, cu, p.b, limit);
    }
    IRMapping map;
    for (Value operand : raw->getOperands()) {
      Cut cut = cutOf(op, operand);
      if (cut == Cut::Dropped || cut == Cut::Whole)
        continue;
      SmallVector<OpFoldResult> offsets, sizes, strides;
      sliceOf(rewriter, loc, operand, cut, p, offsets, sizes, strides);
      map.map(operand, tensor::ExtractSliceOp::create(
                           rewriter, loc, perProblemType(operand, cut, packed),
                           operand, offsets, sizes, strides));
    }
    // A value used in several roles (k as v) maps to one slice: same value,
    // same shape, so the roles agree on the head.
    SmallVector<Type> resultTypes;
    for (Value r : raw->getResults())
      resultTypes.push_back(perProblemType(r, cutOf(op, r), packed));
    Operation *inner = cloneWithout(rewriter, raw, map, cu, resultTypes);

    // Sizes are computed in the body: the terminator holds only the inserts.
    SmallVector<SmallVector<OpFoldResult>> offsets, sizes, strides;
    for (auto [i, r] : llvm::enumerate(raw->getResults()))
      sliceOf(rewriter, loc, forall.getRegionIterArgs()[i], cutOf(op, r), p,
              offsets.emplace_back(), sizes.emplace_back(),
              strides.emplace_back());
    rewriter.setInsertionPointToStart(forall.getTerminator().getBody());
    for (auto [i, r] : llvm::enumerate(inner->getResults()))
      tensor::ParallelInsertSliceOp::create(rewriter, loc, r,
                                            forall.getRegionIterArgs()[i],
                                            offsets[i], sizes[i], strides[i]);
    rewriter.replaceOp(op, forall.getResults());
    return success();
  }

private:
  bool requiredOnly;
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
