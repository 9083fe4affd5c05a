//===- AttnVerifiers.cpp - verifiers of the attn ops -----------------------===//
//
// Every check names the operand and the dimension so that a user can fix the
// IR from the message alone. Dynamic sizes are compared only when both sides
// are static.
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/Attn/IR/Attn.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Prints a size, '?' when dynamic.
std::string sizeStr(int64_t s) {
  return ShapedType::isDynamic(s) ? std::string("?") : std::to_string(s);
}

/// Prints a double as written by a person (0, -0.125, inf, nan).
std::string formatDouble(double d) {
  std::string s;
  llvm::raw_string_ostream(s) << llvm::format("%g", d);
  return s;
}

std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? ", " : "") + sizeStr(d);
  return s + "]";
}

/// One named tensor operand or result of an attention op.
struct Named {
  StringRef name;
  RankedTensorType type;
  int64_t dim(unsigned i) const { return type.getDimSize(i); }
};

class Checker {
public:
  explicit Checker(Operation *op) : op(op) {}

  /// `value` must be a ranked tensor of rank `rank`; `layout` is for messages.
  FailureOr<Named> tensor(StringRef name, Value value, int64_t rank,
                          StringRef layout) {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    if (!type || type.getRank() != rank)
      return op->emitOpError() << "'" << name << "' must be a rank-" << rank
                               << " tensor " << layout << ", got "
                               << value.getType();
    for (int64_t d : type.getShape())
      if (d == 0)
        return op->emitOpError() << "'" << name
                                 << "' has a zero-sized dimension: " << type;
    return Named{name, type};
  }

  /// Dimension `i` of `a` must equal dimension `j` of `b`.
  LogicalResult sameDim(StringRef what, const Named &a, unsigned i,
                        const Named &b, unsigned j) {
    int64_t x = a.dim(i), y = b.dim(j);
    if (ShapedType::isDynamic(x) || ShapedType::isDynamic(y) || x == y)
      return success();
    return op->emitOpError() << what << " mismatch: '" << a.name << "' has "
                             << x << " but '" << b.name << "' has " << y;
  }

  /// `t` must have exactly `expected` as shape (dynamic entries match all).
  LogicalResult shape(const Named &t, ArrayRef<int64_t> expected,
                      StringRef layout) {
    for (auto [got, want] : llvm::zip(t.type.getShape(), expected))
      if (!ShapedType::isDynamic(got) && !ShapedType::isDynamic(want) &&
          got != want)
        return op->emitOpError()
               << "'" << t.name << "' must have shape " << layout << " = "
               << shapeStr(expected) << ", got " << shapeStr(t.type.getShape());
    return success();
  }

  LogicalResult elementType(const Named &t, ArrayRef<Type> allowed,
                            StringRef allowedText) {
    Type e = t.type.getElementType();
    if (llvm::is_contained(allowed, e))
      return success();
    return op->emitOpError() << "'" << t.name << "' element type must be "
                             << allowedText << ", got " << e;
  }

  LogicalResult sameElementType(const Named &t, const Named &ref) {
    if (t.type.getElementType() == ref.type.getElementType())
      return success();
    return op->emitOpError()
           << "'" << t.name << "' element type " << t.type.getElementType()
           << " must match '" << ref.name << "' ("
           << ref.type.getElementType() << ")";
  }

  Operation *op;
};

/// Checks a [B, H, Dk, Dv] f32 state (initial or final); `batch` is B, or
/// N with packed sequences, and `keyDim` Dk, or m with a FAVOR+ projection.
LogicalResult verifyState(Checker &c, StringRef name, Value state,
                          const Named &q, const Named &v, int64_t batch,
                          int64_t keyDim, bool packed) {
  if (!state)
    return success();
  StringRef layout = packed ? "[N, H, Dk, Dv]" : "[B, H, Dk, Dv]";
  FailureOr<Named> s = c.tensor(name, state, 4, layout);
  if (failed(s))
    return failure();
  Type f32 = Float32Type::get(state.getContext());
  if (failed(c.elementType(*s, {f32}, "f32")))
    return failure();
  return c.shape(*s, {batch, q.dim(2), keyDim, v.dim(3)}, layout);
}

/// Checks the packed-sequence offsets: int32 [N + 1], N >= 1, with B = 1
/// (and Tq = Tk for softmax attention).
LogicalResult verifyCuSeqlens(Checker &c, AttentionOpInterface op,
                              const Named &q, const Named &k) {
  Value cu = op.getCuSeqlensOrNull();
  if (!cu)
    return success();
  FailureOr<Named> t = c.tensor("cu_seqlens", cu, 1, "[N + 1] of offsets");
  if (failed(t))
    return failure();
  if (!t->type.getElementType().isSignlessInteger(32))
    return op->emitOpError() << "'cu_seqlens' element type must be i32, got "
                             << t->type.getElementType();
  if (t->dim(0) == 1)
    return op->emitOpError() << "'cu_seqlens' must hold N + 1 >= 2 offsets "
                                "(N >= 1 sequences), got 1";
  if (q.dim(0) != 1)
    return op->emitOpError()
           << "'cu_seqlens' (packed sequences) needs the batch size B to be "
              "a static 1, got "
           << sizeStr(q.dim(0));
  int64_t tq = q.dim(1), tk = k.dim(1);
  if (!op.hasRecurrentState() && !ShapedType::isDynamic(tq) &&
      !ShapedType::isDynamic(tk) && tq != tk)
    return op->emitOpError()
           << "'cu_seqlens' packs queries and keys alike and needs Tq = Tk, "
              "got Tq = "
           << tq << ", Tk = " << tk;
  return success();
}

/// Checks the FAVOR+ projection W [m, Dk] (f32 or q's element type).
LogicalResult verifyProjection(Checker &c, AttentionOpInterface op,
                               const Named &q) {
  Value w = op.getProjectionOrNull();
  if (!w)
    return success();
  FailureOr<Named> t = c.tensor("projection", w, 2, "[m, Dk]");
  if (failed(t))
    return failure();
  Type f32 = Float32Type::get(w.getContext());
  Type inType = q.type.getElementType();
  if (failed(c.elementType(*t, {f32, inType},
                           inType == f32 ? "f32"
                                         : "f32 or the element type of 'q'")))
    return failure();
  return c.sameDim("key head dim (Dk)", *t, 1, q, 3);
}

/// Checks a per-(b, t, h) operand (beta or scalar gate) or a [B, T, H, Dk]
/// vector gate: shape and an element type of f32 or that of q.
LogicalResult verifyPerStep(Checker &c, const Named &t, const Named &q) {
  Type f32 = Float32Type::get(t.type.getContext());
  Type inType = q.type.getElementType();
  if (failed(c.elementType(t, {f32, inType},
                           inType == f32 ? "f32"
                                         : "f32 or the element type of 'q'")))
    return failure();
  if (t.type.getRank() == 3)
    return c.shape(t, {q.dim(0), q.dim(1), q.dim(2)}, "[B, T, H]");
  return c.shape(t, {q.dim(0), q.dim(1), q.dim(2), q.dim(3)},
                 "[B, T, H, Dk]");
}

/// Fetches a per-step operand: rank 3, or rank 3/4 when a vector is allowed.
FailureOr<Named> perStepOperand(Checker &c, StringRef name, Value value,
                                bool allowVector) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (allowVector && type && type.getRank() == 4)
    return c.tensor(name, value, 4, "[B, T, H, Dk]");
  return c.tensor(name, value, 3,
                  allowVector ? "[B, T, H] (scalar gate) or [B, T, H, Dk] "
                                "(vector gate)"
                              : "[B, T, H]");
}

/// q, k and v as rank-4 tensors [B, T, H, D].
LogicalResult fetchQKV(Checker &c, Value qv, Value kv, Value vv,
                       FailureOr<Named> &q, FailureOr<Named> &k,
                       FailureOr<Named> &v) {
  q = c.tensor("q", qv, 4, "[B, T, H, Dk]");
  if (failed(q))
    return failure();
  k = c.tensor("k", kv, 4, "[B, T, H, Dk]");
  if (failed(k))
    return failure();
  v = c.tensor("v", vv, 4, "[B, T, H, Dv]");
  return success(succeeded(v));
}

/// Grouped-query attention: each group of Hq / Hkv query heads reads one
/// k/v head, so Hq must be a multiple of Hkv.
LogicalResult verifyHeadGroups(Operation *op, const Named &q, const Named &k) {
  int64_t hq = q.dim(2), hkv = k.dim(2);
  if (ShapedType::isDynamic(hq) || ShapedType::isDynamic(hkv) ||
      hq % hkv == 0)
    return success();
  return op->emitOpError()
         << "the query head count (" << hq
         << ") must be a multiple of the key/value head count (" << hkv
         << ") (grouped-query attention)";
}

/// q in f32, bf16 or f16, and k, v and `other` (o or d_o) of q's type.
LogicalResult verifyInputTypes(Checker &c, const Named &q, const Named &k,
                               const Named &v, const Named &other) {
  MLIRContext *ctx = q.type.getContext();
  Type f32 = Float32Type::get(ctx), bf16 = BFloat16Type::get(ctx),
       f16 = Float16Type::get(ctx);
  return success(
      succeeded(c.elementType(q, {f32, bf16, f16}, "f32, bf16 or f16")) &&
      succeeded(c.sameElementType(k, q)) &&
      succeeded(c.sameElementType(v, q)) &&
      succeeded(c.sameElementType(other, q)));
}

LogicalResult verifyScale(Operation *op, std::optional<APFloat> scale) {
  if (!scale)
    return success();
  double s = scale->convertToDouble();
  if (!(s > 0.0) || !std::isfinite(s))
    return op->emitOpError() << "'scale' must be positive and finite, got "
                             << formatDouble(s);
  // Arithmetic is f32: a scale that overflows there (inf) or underflows
  // (0 or denormal) turns every output into inf or NaN.
  constexpr double lo = std::numeric_limits<float>::min(),
                   hi = std::numeric_limits<float>::max();
  if (s < lo || s > hi)
    return op->emitOpError()
           << "'scale' must be within the normal range of f32 (the "
              "arithmetic is f32): between "
           << formatDouble(lo) << " and " << formatDouble(hi) << ", got "
           << formatDouble(s);
  return success();
}

/// The operands and results of a linear-family gradient op.
struct GradOperands {
  Value q, k, v, g, dO, initialState, dFinalState;
  Value dq, dk, dv, dg, dInitialState;
  std::optional<APFloat> scale;
};

/// Checks a gradient op: its forward operands as the forward op takes them
/// (causal, Tq = Tk, no packing), d_o shaped like the output, and each
/// gradient typed like what it is the gradient of.
LogicalResult verifyGradOp(Operation *op, const GradOperands &x) {
  Checker c(op);
  FailureOr<Named> q, k, v;
  if (failed(fetchQKV(c, x.q, x.k, x.v, q, k, v)))
    return failure();
  FailureOr<Named> dO = c.tensor("d_o", x.dO, 4, "[B, T, H, Dv]");
  if (failed(dO))
    return failure();
  if (failed(verifyInputTypes(c, *q, *k, *v, *dO)))
    return failure();
  for (const Named *t : {&*k, &*v})
    if (failed(c.sameDim("batch size (B)", *t, 0, *q, 0)) ||
        failed(c.sameDim("sequence length (T)", *t, 1, *q, 1)))
      return failure();
  if (failed(c.sameDim("head count (H)", *v, 2, *k, 2)) ||
      failed(c.sameDim("key head dim (Dk)", *k, 3, *q, 3)))
    return failure();
  if (failed(verifyHeadGroups(op, *q, *k)))
    return failure();
  if (failed(c.shape(*dO, {q->dim(0), q->dim(1), q->dim(2), v->dim(3)},
                     "[B, T, Hq, Dv]")) ||
      failed(verifyScale(op, x.scale)))
    return failure();
  if (x.g) {
    FailureOr<Named> g = perStepOperand(c, "g", x.g, /*allowVector=*/true);
    if (failed(g))
      return failure();
    if (g->type.getRank() == 4)
      return op->emitOpError()
             << "gradients of a vector gate 'g' [B, T, H, Dk] (GLA) are not "
                "supported yet; scalar gates [B, T, H] are";
    if (failed(verifyPerStep(c, *g, *q)))
      return failure();
  }
  if (failed(verifyState(c, "initial_state", x.initialState, *q, *v,
                         q->dim(0), q->dim(3), false)) ||
      failed(verifyState(c, "d_final_state", x.dFinalState, *q, *v,
                         q->dim(0), q->dim(3), false)))
    return failure();
  if (static_cast<bool>(x.initialState) != static_cast<bool>(x.dInitialState))
    return op->emitOpError()
           << (x.initialState ? "has an 'initial_state' and must return its "
                                "gradient 'd_initial_state'"
                              : "returns 'd_initial_state' but has no "
                                "'initial_state'");
  auto sameType = [&](StringRef grad, Value gv, StringRef of,
                      Value ov) -> LogicalResult {
    if (!ov || gv.getType() == ov.getType())
      return success();
    return op->emitOpError() << "'" << grad << "' must have the type of '"
                             << of << "' (" << ov.getType() << "), got "
                             << gv.getType();
  };
  return success(succeeded(sameType("dq", x.dq, "q", x.q)) &&
                 succeeded(sameType("dk", x.dk, "k", x.k)) &&
                 succeeded(sameType("dv", x.dv, "v", x.v)) &&
                 (!x.g || succeeded(sameType("dg", x.dg, "g", x.g))) &&
                 succeeded(sameType("d_initial_state", x.dInitialState,
                                    "initial_state", x.initialState)));
}

LogicalResult verifyFormAttrs(AttentionOpInterface op) {
  if (std::optional<uint64_t> c = op.getChunkSize())
    if (static_cast<int64_t>(*c) <= 0)
      return op->emitOpError() << "'chunk_size' must be positive, got "
                               << static_cast<int64_t>(*c);
  std::optional<Form> form = op.getForm();
  if (!form)
    return success();
  bool linearFamily = op.hasRecurrentState();
  switch (*form) {
  case Form::Recurrent:
    if (!linearFamily || !op.isCausal())
      return op->emitOpError()
             << "form 'recurrent' applies only to causal ops of the linear "
                "family (softmax and non-causal attention have no recurrence)";
    break;
  case Form::Reassociated:
    if (!isa<LinearAttentionOp>(op.getOperation()) || op.isCausal())
      return op->emitOpError() << "form 'reassociated' applies only to "
                                  "non-causal linear attention";
    break;
  case Form::Chunkwise:
    // For softmax attention this is the tiled online-softmax form.
    if (linearFamily && !op.isCausal())
      return op->emitOpError()
             << "form 'chunkwise' needs a causal op; non-causal linear "
                "attention is 'quadratic' or 'reassociated'";
    break;
  case Form::Quadratic:
    break;
  }
  return success();
}

} // namespace

LogicalResult mlir::attn::detail::verifyAttentionOp(Operation *rawOp) {
  auto op = cast<AttentionOpInterface>(rawOp);
  Checker c(rawOp);
  FailureOr<Named> q, k, v;
  if (failed(fetchQKV(c, op.getQ(), op.getK(), op.getV(), q, k, v)))
    return failure();
  FailureOr<Named> o = c.tensor("o", op.getO(), 4, "[B, T, H, Dv]");
  if (failed(o))
    return failure();

  MLIRContext *ctx = rawOp->getContext();
  Type f32 = Float32Type::get(ctx), bf16 = BFloat16Type::get(ctx),
       f16 = Float16Type::get(ctx);
  if (failed(c.elementType(*q, {f32, bf16, f16}, "f32, bf16 or f16")) ||
      failed(c.sameElementType(*k, *q)) || failed(c.sameElementType(*v, *q)) ||
      failed(c.sameElementType(*o, *v)))
    return failure();

  for (const Named *t : {&*k, &*v, &*o})
    if (failed(c.sameDim("batch size (B)", *t, 0, *q, 0)))
      return failure();
  // Grouped-query attention: k and v share their Hkv heads, o has q's Hq
  // heads, and each group of Hq / Hkv query heads reads one k/v head.
  if (failed(c.sameDim("head count (H)", *v, 2, *k, 2)) ||
      failed(c.sameDim("head count (H)", *o, 2, *q, 2)))
    return failure();
  if (failed(verifyHeadGroups(op, *q, *k)))
    return failure();
  if (failed(c.sameDim("key head dim (Dk)", *k, 3, *q, 3)) ||
      failed(c.sameDim("value head dim (Dv)", *o, 3, *v, 3)) ||
      failed(c.sameDim("key sequence length (T)", *v, 1, *k, 1)) ||
      failed(c.sameDim("query sequence length (T)", *o, 1, *q, 1)))
    return failure();

  int64_t tq = q->dim(1), tk = k->dim(1);
  bool bothStatic = !ShapedType::isDynamic(tq) && !ShapedType::isDynamic(tk);
  if (op.hasRecurrentState()) {
    if (failed(c.sameDim("sequence length (T)", *k, 1, *q, 1)))
      return failure();
  } else if (op.isCausal() && bothStatic && tq > tk) {
    return op->emitOpError()
           << "causal softmax attention needs Tq <= Tk (the queries are the "
              "last Tq of the Tk positions), got Tq = "
           << tq << ", Tk = " << tk;
  }

  if (failed(verifyScale(rawOp, op.getScale())))
    return failure();

  if (failed(verifyCuSeqlens(c, op, *q, *k)) ||
      failed(verifyProjection(c, op, *q)))
    return failure();
  bool packed = op.hasPackedSequences();
  int64_t batch = packed ? op.getNumSequences() : q->dim(0);
  int64_t keyDim = op.getStateKeyDim();
  if (failed(verifyState(c, "initial_state", op.getInitialStateOrNull(), *q,
                         *v, batch, keyDim, packed)) ||
      failed(verifyState(c, "final_state", op.getFinalStateOrNull(), *q, *v,
                         batch, keyDim, packed)))
    return failure();
  return verifyFormAttrs(op);
}

// The interface verifier runs the shared checks first; these add what is
// specific to each op.
LogicalResult SoftmaxAttentionOp::verify() {
  std::optional<uint64_t> window = getWindow();
  if (!window)
    return success();
  if (static_cast<int64_t>(*window) <= 0)
    return emitOpError() << "'window' must be positive, got "
                         << static_cast<int64_t>(*window);
  if (!getCausal())
    return emitOpError() << "'window' (sliding-window attention) needs "
                            "causal = true";
  return success();
}
LogicalResult LinearAttentionOp::verify() {
  bool favor = getFeatureMap() == FeatureMap::Favor;
  if (favor && !getProjection())
    return emitOpError() << "feature_map 'favor' (FAVOR+) needs the random "
                            "projection W [m, Dk]: add projection(%w)";
  if (!favor && getProjection())
    return emitOpError() << "'projection' is used only by feature_map "
                            "'favor', got feature_map '"
                         << stringifyFeatureMap(getFeatureMap()) << "'";
  return success();
}

LogicalResult GatedLinearAttentionOp::verify() {
  Checker c(getOperation());
  FailureOr<Named> g = perStepOperand(c, "g", getG(), /*allowVector=*/true);
  if (failed(g))
    return failure();
  Named q{"q", cast<RankedTensorType>(getQ().getType())};
  return verifyPerStep(c, *g, q);
}

LogicalResult DeltaRuleOp::verify() {
  Checker c(getOperation());
  Named q{"q", cast<RankedTensorType>(getQ().getType())};
  FailureOr<Named> beta = perStepOperand(c, "beta", getBeta(), false);
  if (failed(beta) || failed(verifyPerStep(c, *beta, q)))
    return failure();
  if (!getG())
    return success();
  if (cast<ShapedType>(getG().getType()).getRank() == 4)
    return emitOpError() << "'g' of the gated delta rule is a scalar gate [B, "
                            "T, H]; vector gates exist only on "
                            "attn.gated_linear_attention";
  FailureOr<Named> g = perStepOperand(c, "g", getG(), false);
  if (failed(g))
    return failure();
  return verifyPerStep(c, *g, q);
}

LogicalResult LinearAttentionGradOp::verify() {
  if (getFeatureMap() == FeatureMap::Favor)
    return emitOpError() << "gradients of feature_map 'favor' (FAVOR+) are "
                            "not supported yet";
  return verifyGradOp(getOperation(),
                      {getQ(), getK(), getV(), Value(), getDO(),
                       getInitialState(), getDFinalState(), getDq(), getDk(),
                       getDv(), Value(), getDInitialState(), getScale()});
}

LogicalResult GatedLinearAttentionGradOp::verify() {
  return verifyGradOp(getOperation(),
                      {getQ(), getK(), getV(), getG(), getDO(),
                       getInitialState(), getDFinalState(), getDq(), getDk(),
                       getDv(), getDg(), getDInitialState(), getScale()});
}

LogicalResult DeltaRuleGradOp::verify() {
  size_t expected = (getG() ? 1 : 0) + (getInitialState() ? 1 : 0);
  if (getOptionalGrads().size() != expected)
    return emitOpError() << "returns dq, dk, dv, dbeta"
                         << (getG() ? ", dg" : "")
                         << (getInitialState() ? ", d_initial_state" : "")
                         << ": expected " << 4 + expected << " results, got "
                         << getNumResults();
  if (getG() && cast<ShapedType>(getG().getType()).getRank() == 4)
    return emitOpError() << "'g' of the gated delta rule is a scalar gate [B, "
                            "T, H]; vector gates exist only on "
                            "attn.gated_linear_attention";
  if (failed(verifyGradOp(getOperation(),
                          {getQ(), getK(), getV(), getG(), getDO(),
                           getInitialState(), getDFinalState(), getDq(),
                           getDk(), getDv(), getDg(), getDInitialState(),
                           getScale()})))
    return failure();
  Checker c(getOperation());
  Named q{"q", cast<RankedTensorType>(getQ().getType())};
  FailureOr<Named> beta = perStepOperand(c, "beta", getBeta(), false);
  if (failed(beta) || failed(verifyPerStep(c, *beta, q)))
    return failure();
  if (getDbeta().getType() != getBeta().getType())
    return emitOpError() << "'dbeta' must have the type of 'beta' ("
                         << getBeta().getType() << "), got "
                         << getDbeta().getType();
  return success();
}

LogicalResult SoftmaxAttentionGradOp::verify() {
  Operation *op = getOperation();
  Checker c(op);
  FailureOr<Named> q, k, v;
  if (failed(fetchQKV(c, getQ(), getK(), getV(), q, k, v)))
    return failure();
  FailureOr<Named> dO = c.tensor("d_o", getDO(), 4, "[B, Tq, Hq, Dv]");
  if (failed(dO))
    return failure();
  if (failed(verifyInputTypes(c, *q, *k, *v, *dO)))
    return failure();
  for (const Named *t : {&*k, &*v})
    if (failed(c.sameDim("batch size (B)", *t, 0, *q, 0)))
      return failure();
  if (failed(c.sameDim("head count (H)", *v, 2, *k, 2)) ||
      failed(c.sameDim("key head dim (Dk)", *k, 3, *q, 3)) ||
      failed(c.sameDim("key sequence length (T)", *v, 1, *k, 1)) ||
      failed(verifyHeadGroups(op, *q, *k)) ||
      failed(c.shape(*dO, {q->dim(0), q->dim(1), q->dim(2), v->dim(3)},
                     "[B, Tq, Hq, Dv]")) ||
      failed(verifyScale(op, getScale())))
    return failure();
  int64_t tq = q->dim(1), tk = k->dim(1);
  if (getCausal() && !ShapedType::isDynamic(tq) && !ShapedType::isDynamic(tk) &&
      tq > tk)
    return emitOpError() << "causal softmax attention needs Tq <= Tk, got Tq = "
                         << tq << ", Tk = " << tk;
  if (std::optional<uint64_t> window = getWindow()) {
    if (static_cast<int64_t>(*window) <= 0)
      return emitOpError() << "'window' must be positive, got "
                           << static_cast<int64_t>(*window);
    if (!getCausal())
      return emitOpError() << "'window' (sliding-window attention) needs "
                              "causal = true";
  }
  for (auto [name, grad, of] :
       {std::tuple<StringRef, Value, Value>{"dq", getDq(), getQ()},
        {"dk", getDk(), getK()},
        {"dv", getDv(), getV()}})
    if (grad.getType() != of.getType())
      return emitOpError() << "'" << name << "' must have the type of '"
                           << name.drop_front() << "' (" << of.getType()
                           << "), got " << grad.getType();
  return success();
}
