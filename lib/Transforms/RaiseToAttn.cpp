//===- RaiseToAttn.cpp - attn-raise: linalg attention to attn ops ----------===//
//
// Frontends that know nothing of attn write attention as two contractions
// with a softmax (or nothing, for linear attention) in between. This pass
// finds that chain, anchored at its last contraction, and replaces it with
// one attn op so that form selection and the attn lowerings apply.
//
// The matchers of RaiseMatch.h find the chain; this file validates it and
// rewrites it into an attn op, with the transposes to attn's [B, T, H, D].
//
//===----------------------------------------------------------------------===//
#include "RaiseMatch.h"

#include "attn/Dialect/Attn/IR/Attn.h"
#include "attn/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNRAISE
#include "attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

bool isPermutationOf(ArrayRef<Role> roles, ArrayRef<Role> expected) {
  if (roles.size() != expected.size())
    return false;
  for (Role r : expected)
    if (llvm::count(roles, r) != 1)
      return false;
  return true;
}

/// Position of the dims of `t` with roles `from`, in the order `to` (roles
/// absent from `from` are skipped).
SmallVector<int64_t> positions(ArrayRef<Role> from, ArrayRef<Role> to) {
  SmallVector<int64_t> pos;
  for (Role r : to)
    if (const auto *it = llvm::find(from, r); it != from.end())
      pos.push_back(it - from.begin());
  return pos;
}

int64_t sizeOf(Value t, ArrayRef<Role> roles, Role r) {
  const auto *it = llvm::find(roles, r);
  if (it == roles.end())
    return 1;
  return cast<ShapedType>(t.getType()).getDimSize(it - roles.begin());
}

/// Without a softmax, (Q K^T) V and Q (K^T V) are one matrix chain, and a
/// chain may fit both readings (with the roles of Q and V swapped). Both are
/// exact; this prefers the one whose result has time before features, as
/// every attention layout has.
bool resultReadsAsAttention(const Chain &c) {
  return llvm::find(c.oRoles, Role::T) < llvm::find(c.oRoles, Role::Dv);
}

/// Validates the roles, element types and sizes a raised op needs.
bool isRaisable(const Chain &c) {
  // Batch roles the operands have: none, B, or B and H.
  bool hasB = llvm::is_contained(c.qRoles, Role::B);
  bool hasH = llvm::is_contained(c.qRoles, Role::H);
  auto expect = [&](std::initializer_list<Role> rs) {
    Roles out;
    for (Role r : rs)
      if ((r != Role::B || hasB) && (r != Role::H || hasH))
        out.push_back(r);
    return out;
  };
  if (!isPermutationOf(c.qRoles,
                       expect({Role::B, Role::T, Role::H, Role::Dk})) ||
      !isPermutationOf(c.kRoles,
                       expect({Role::B, Role::S, Role::H, Role::Dk})) ||
      !isPermutationOf(c.vRoles,
                       expect({Role::B, Role::S, Role::H, Role::Dv})) ||
      !isPermutationOf(c.oRoles,
                       expect({Role::B, Role::T, Role::H, Role::Dv})))
    return false;
  Type e = getElementTypeOrSelf(c.q);
  if (!isa<Float32Type, BFloat16Type, Float16Type>(e) ||
      getElementTypeOrSelf(c.k) != e || getElementTypeOrSelf(c.v) != e ||
      getElementTypeOrSelf(c.o) != e)
    return false;
  if (!c.softmax) {
    // Linear attention has one sequence length.
    int64_t tq = sizeOf(c.q, c.qRoles, Role::T);
    int64_t tk = sizeOf(c.k, c.kRoles, Role::S);
    if (ShapedType::isDynamic(tq) || tq != tk)
      return false;
  }
  return true;
}

/// Reassociation that inserts unit dims: a role of `to` missing from
/// `present` joins the group of the present dim before it (or, leading, the
/// first group).
SmallVector<ReassociationIndices> unitDimGroups(ArrayRef<Role> present,
                                                ArrayRef<Role> to) {
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices leading;
  for (auto [j, r] : llvm::enumerate(to)) {
    int64_t dim = j;
    if (llvm::is_contained(present, r)) {
      groups.push_back(leading);
      leading.clear();
      groups.back().push_back(dim);
    } else if (groups.empty()) {
      leading.push_back(dim);
    } else {
      groups.back().push_back(dim);
    }
  }
  return groups;
}

/// `t` (dims with `roles`) in attn's order `to`, with unit dims for roles it
/// lacks (H or B of 3-D and 2-D operands).
Value toAttnLayout(OpBuilder &b, Location loc, Value t, ArrayRef<Role> roles,
                   ArrayRef<Role> to) {
  SmallVector<int64_t> perm = positions(roles, to);
  Roles present;
  for (int64_t p : perm)
    present.push_back(roles[p]);
  if (!llvm::equal(perm, llvm::seq<int64_t>(0, perm.size()))) {
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, t);
    SmallVector<OpFoldResult> permuted;
    for (int64_t p : perm)
      permuted.push_back(sizes[p]);
    Value init =
        tensor::EmptyOp::create(b, loc, permuted, getElementTypeOrSelf(t));
    t = linalg::TransposeOp::create(b, loc, t, init, perm).getResult()[0];
  }
  if (present.size() == to.size())
    return t;
  auto type = cast<RankedTensorType>(t.getType());
  SmallVector<int64_t> shape;
  for (Role r : to)
    shape.push_back(llvm::is_contained(present, r)
                        ? type.getDimSize(llvm::find(present, r) -
                                          present.begin())
                        : 1);
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), t,
      unitDimGroups(present, to));
}

/// The inverse of toAttnLayout for the result: `o` in attn's order `from`
/// back to the layout `roles`.
Value fromAttnLayout(OpBuilder &b, Location loc, Value o, ArrayRef<Role> from,
                     ArrayRef<Role> roles) {
  Roles present;
  for (Role r : from)
    if (llvm::is_contained(roles, r))
      present.push_back(r);
  if (present.size() != from.size())
    o = tensor::CollapseShapeOp::create(b, loc, o,
                                        unitDimGroups(present, from));
  SmallVector<int64_t> perm = positions(present, roles);
  if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
    return o;
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, o);
  SmallVector<OpFoldResult> permuted;
  for (int64_t p : perm)
    permuted.push_back(sizes[p]);
  Value init =
      tensor::EmptyOp::create(b, loc, permuted, getElementTypeOrSelf(o));
  return linalg::TransposeOp::create(b, loc, o, init, perm).getResult()[0];
}

struct RaiseAttention : OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (op->getNumResults() != 1)
      return failure();
    std::optional<Contraction> outer = matchContraction(op->getResult(0));
    if (!outer)
      return rewriter.notifyMatchFailure(op, "not a batched contraction");
    std::optional<Chain> chain;
    for (bool reassociated : {false, true}) {
      for (unsigned composite : {0u, 1u}) {
        std::optional<Chain> c = matchChain(*outer, composite, reassociated);
        if (c && isRaisable(*c) && (c->softmax || resultReadsAsAttention(*c))) {
          chain = c;
          break;
        }
      }
      if (chain)
        break;
    }
    if (!chain)
      return rewriter.notifyMatchFailure(op, "not an attention chain");
    if (!chain->softmax)
      peelFeatureMaps(*chain);

    Location loc = op.getLoc();
    Roles qOrder{Role::B, Role::T, Role::H, Role::Dk};
    Roles kOrder{Role::B, Role::S, Role::H, Role::Dk};
    Roles vOrder{Role::B, Role::S, Role::H, Role::Dv};
    Roles oOrder{Role::B, Role::T, Role::H, Role::Dv};
    Value q = toAttnLayout(rewriter, loc, chain->q, chain->qRoles, qOrder);
    Value k = toAttnLayout(rewriter, loc, chain->k, chain->kRoles, kOrder);
    Value v = toAttnLayout(rewriter, loc, chain->v, chain->vRoles, vOrder);
    Value o0 = op->getResult(0);
    SmallVector<int64_t> oShape;
    for (Role r : oOrder)
      oShape.push_back(sizeOf(o0, chain->oRoles, r));
    auto oType = RankedTensorType::get(oShape, getElementTypeOrSelf(o0));
    FloatAttr scale = rewriter.getF64FloatAttr(chain->scale);

    Value o;
    if (chain->softmax) {
      o = SoftmaxAttentionOp::create(rewriter, loc, oType, q, k, v,
                                     /*cu_seqlens=*/Value(),
                                     /*causal=*/false, /*window=*/IntegerAttr(),
                                     scale, FormAttr(), IntegerAttr());
    } else {
      o = LinearAttentionOp::create(
              rewriter, loc, oType, /*final_state=*/Type(), q, k, v,
              /*projection=*/Value(), /*initial_state=*/Value(),
              /*cu_seqlens=*/Value(), chain->featureMap,
              /*normalize=*/false, /*causal=*/false, scale, FormAttr(),
              IntegerAttr())
              .getO();
    }
    rewriter.replaceOp(op, fromAttnLayout(rewriter, loc, o, oOrder,
                                          chain->oRoles));
    return success();
  }

  /// phi(Q), phi(K) with one feature map become Q, K and the attribute.
  static void peelFeatureMaps(Chain &c) {
    auto q = matchFeatureMap(c.q), k = matchFeatureMap(c.k);
    if (!q || !k || q->second != k->second)
      return;
    c.q = q->first;
    c.k = k->first;
    c.featureMap = q->second;
  }
};

struct AttnRaisePass : attn::impl::AttnRaiseBase<AttnRaisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateAttnRaisePatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::attn::populateAttnRaisePatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseAttention>(patterns.getContext());
}
