//===- RaiseChainMatch.cpp - two contractions read as attention -----------===//
//
// The matcher works on loop dimensions, not on op names: both products are
// any linalg op that is a contraction (generic or named) with one m, one n,
// one k and up to two batch dimensions, and every tensor's layout is read
// from its indexing map. The dimensions of the two contractions are tied
// through the intermediate tensor; each then gets an attention role (B, H,
// T, S, Dk, Dv), from which the transposes to attn's [B, T, H, D] follow.
//
//===----------------------------------------------------------------------===//
#include "RaiseMatch.h"

using namespace mlir;
using namespace mlir::attn;

std::optional<Contraction> mlir::attn::matchContraction(Value v) {
  auto op = v.getDefiningOp<linalg::LinalgOp>();
  if (!op || op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      !linalg::isaContractionOpInterface(op) ||
      !isZeroTensor(op.getDpsInitOperand(0)->get()))
    return std::nullopt;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.size() != 1 || dims->n.size() != 1 ||
      dims->k.size() != 1 || dims->batch.size() > 2 ||
      op.getNumLoops() != dims->batch.size() + 3)
    return std::nullopt;
  for (AffineMap m : op.getIndexingMapsArray())
    if (!m.isProjectedPermutation(/*allowZeroInResults=*/false))
      return std::nullopt;
  return Contraction{op, *dims};
}

namespace {

/// Roles of the dims of `operand` of contraction `c`, whose loop dims have
/// `loopRoles`.
Roles rolesOf(Contraction &c, unsigned operand, ArrayRef<Role> loopRoles) {
  Roles roles;
  for (AffineExpr e : c.map(operand).getResults())
    roles.push_back(loopRoles[cast<AffineDimExpr>(e).getPosition()]);
  return roles;
}

} // namespace

std::optional<Chain> mlir::attn::matchChain(Contraction &outer,
                                            unsigned composite,
                                            bool reassociated) {
  Chain chain;
  Value x = outer.op.getDpsInputOperand(composite)->get();
  std::optional<int64_t> softmaxDim;
  if (auto sm = matchSoftmax(x)) {
    if (reassociated)
      return std::nullopt;
    chain.softmax = true;
    x = sm->first;
    softmaxDim = sm->second;
  }
  if (auto scaled = matchScale(x)) {
    x = scaled->first;
    chain.scale = scaled->second;
  }
  std::optional<Contraction> inner = matchContraction(x);
  if (!inner || inner->dims.batch.size() != outer.dims.batch.size())
    return std::nullopt;

  // Symbols: the loop dims of `outer`, plus one for inner's k.
  unsigned kSym = outer.op.getNumLoops();
  AffineMap innerOut = inner->map(2);
  AffineMap compMap = outer.map(composite);
  SmallVector<unsigned> sym(inner->op.getNumLoops(), kSym);
  for (unsigned i = 0; i < innerOut.getNumResults(); ++i)
    sym[innerOut.getDimPosition(i)] = compMap.getDimPosition(i);

  // inner's batch dims are outer's; one of inner's free dims (r) is
  // reduced by outer, the other (f) stays to the result.
  for (unsigned b : inner->dims.batch)
    if (!llvm::is_contained(outer.dims.batch, sym[b]))
      return std::nullopt;
  unsigned outerK = outer.dims.k.front();
  unsigned innerM = inner->dims.m.front(), innerN = inner->dims.n.front();
  unsigned r, f;
  if (sym[innerM] == outerK)
    r = innerM, f = innerN;
  else if (sym[innerN] == outerK)
    r = innerN, f = innerM;
  else
    return std::nullopt;
  if (softmaxDim && compMap.getDimPosition(*softmaxDim) != outerK)
    return std::nullopt; // a softmax over another dim than the keys
  unsigned g = outer.dims.m.front() == sym[f] ? outer.dims.n.front()
                                              : outer.dims.m.front();

  // Roles of the symbols; batch dims get theirs from Q's layout below.
  SmallVector<Role> symRole(kSym + 1, Role::B);
  symRole[sym[r]] = reassociated ? Role::Dk : Role::S;
  symRole[sym[f]] = reassociated ? Role::Dv : Role::T;
  symRole[kSym] = reassociated ? Role::S : Role::Dk;
  symRole[g] = reassociated ? Role::T : Role::Dv;

  // The inner operand holding loop dim `loop` (the other one lacks it).
  auto innerOperandWith = [&](unsigned loop) -> unsigned {
    AffineExpr d = getAffineDimExpr(loop, inner->op.getContext());
    return inner->map(0).getResultPosition(d) ? 0 : 1;
  };
  unsigned leaf = 1 - composite;
  Contraction &qOwner = reassociated ? outer : *inner;
  unsigned qOperand = reassociated ? leaf : innerOperandWith(f);

  // B, then H, in the order Q holds them (the two are interchangeable).
  unsigned nextBatch = 0;
  for (AffineExpr e : qOwner.map(qOperand).getResults()) {
    unsigned loop = cast<AffineDimExpr>(e).getPosition();
    unsigned s = reassociated ? loop : sym[loop];
    if (llvm::is_contained(outer.dims.batch, s))
      symRole[s] = nextBatch++ == 0 ? Role::B : Role::H;
  }
  SmallVector<Role> innerRoles;
  for (unsigned s : sym)
    innerRoles.push_back(symRole[s]);

  chain.q = qOwner.op.getDpsInputOperand(qOperand)->get();
  chain.qRoles =
      rolesOf(qOwner, qOperand, reassociated ? symRole : innerRoles);
  unsigned kOperand = innerOperandWith(r);
  chain.k = inner->op.getDpsInputOperand(kOperand)->get();
  chain.kRoles = rolesOf(*inner, kOperand, innerRoles);
  if (reassociated) {
    unsigned vOperand = innerOperandWith(f);
    chain.v = inner->op.getDpsInputOperand(vOperand)->get();
    chain.vRoles = rolesOf(*inner, vOperand, innerRoles);
  } else {
    chain.v = outer.op.getDpsInputOperand(leaf)->get();
    chain.vRoles = rolesOf(outer, leaf, symRole);
  }
  chain.o = outer.op->getResult(0);
  chain.oRoles = rolesOf(outer, 2, symRole);
  return chain;
}
