//===- LowerChunkwise.cpp - attn-lower-chunkwise: patterns and pass -------===//
//
// Lowers every attn op whose form is chunkwise, and the linear family's
// quadratic form (one chunk of T), to loops over chunks or tiles on tensors:
// the linear family in ChunkwiseLinear.cpp, softmax attention in
// ChunkwiseSoftmax.cpp. Softmax's quadratic form is the reference lowering.
//
//===----------------------------------------------------------------------===//
#include "ChunkwiseLowering.h"
#include "LinalgBuilder.h"
#include "LoweringUtils.h"

#include "attn/Dialect/Attn/IR/Attn.h"
#include "attn/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNLOWERCHUNKWISE
#include "attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Padding a static length `t` to a multiple of `c` must stay within int64
/// (static sizes may be close to 2^63; the folded N * C used to wrap around
/// to a negative size and leave IR that does not verify).
LogicalResult checkPaddedLength(Operation *op, StringRef what, int64_t t,
                                int64_t c) {
  if (ShapedType::isDynamic(t) ||
      t <= std::numeric_limits<int64_t>::max() - (c - 1))
    return success();
  return op->emitOpError() << what << " " << t
                           << " padded to a multiple of the chunk size " << c
                           << " exceeds the 64-bit size range";
}

/// The chunk size the op's form asks for: chunk_size for chunkwise, T for
/// quadratic; failure (with a diagnostic) when chunkwise has none.
FailureOr<OpFoldResult> chunkFor(LinalgBuilder &lb, AttentionOpInterface op) {
  if (*op.getForm() == Form::Quadratic)
    return lb.size(op.getQ(), 1);
  std::optional<uint64_t> c = op.getChunkSize();
  if (!c)
    return op->emitOpError()
           << "has form 'chunkwise' but no 'chunk_size'; run "
              "--attn-select-chunk or set chunk_size";
  // A chunk longer than a static T is one chunk of T: the same result
  // without padding T (and the C x C intra-chunk matrices) up to C.
  int64_t t = op.getQuerySeqLen();
  if (!ShapedType::isDynamic(t) && *c > static_cast<uint64_t>(t))
    return OpFoldResult(lb.builder().getIndexAttr(t));
  if (failed(checkPaddedLength(op, "sequence length", t,
                               static_cast<int64_t>(*c))))
    return failure();
  return OpFoldResult(lb.builder().getIndexAttr(*c));
}

/// Whether this pass lowers `op`: chunkwise always; quadratic for the linear
/// family (softmax's quadratic form is the reference lowering).
bool isChunkLowered(AttentionOpInterface op) {
  std::optional<Form> form = op.getForm();
  if (!form)
    return false;
  if (*form == Form::Chunkwise)
    return true;
  return *form == Form::Quadratic && op.hasRecurrentState();
}

struct LinearFamilyToChunks : OpInterfaceRewritePattern<AttentionOpInterface> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;
  LogicalResult matchAndRewrite(AttentionOpInterface op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasRecurrentState() || !isChunkLowered(op) ||
        failed(checkLowerable(op)))
      return failure();
    LinalgBuilder lb(rewriter, op.getLoc());
    FailureOr<OpFoldResult> chunk = chunkFor(lb, op);
    if (failed(chunk))
      return failure();
    LinearFamilyProblem p = LinearFamilyProblem::describe(lb, op);
    materializeFeatures(lb, p);
    LinearChunkEmitter e(lb, p, emitScale(lb, op));
    auto [o, state] = e.emit(*chunk);
    replaceWithOutputAndState(rewriter, op, o, state);
    return success();
  }
};

struct SoftmaxToTiles : OpRewritePattern<SoftmaxAttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SoftmaxAttentionOp op,
                                PatternRewriter &rewriter) const override {
    auto iface = cast<AttentionOpInterface>(op.getOperation());
    if (!isChunkLowered(iface) || failed(checkLowerable(iface)))
      return failure();
    std::optional<uint64_t> c = op.getChunkSize();
    if (!c)
      return op->emitOpError()
             << "has form 'chunkwise' but no 'chunk_size'; run "
                "--attn-select-chunk or set chunk_size";
    // Blocks longer than a static sequence would only add padding: a
    // decode step (Tq = 1) is one query against key blocks of C.
    int64_t block = static_cast<int64_t>(*c);
    int64_t tq = op.getQuerySeqLen(), tk = op.getKeySeqLen();
    int64_t qBlock = ShapedType::isDynamic(tq) ? block : std::min(block, tq);
    int64_t kBlock = ShapedType::isDynamic(tk) ? block : std::min(block, tk);
    if (failed(checkPaddedLength(op, "query length", tq, qBlock)) ||
        failed(checkPaddedLength(op, "key length", tk, kBlock)))
      return failure();
    LinalgBuilder lb(rewriter, op.getLoc());
    replaceWithOutputAndState(rewriter, op,
                              emitTiledSoftmax(lb, op, qBlock, kBlock),
                              /*finalState=*/nullptr);
    return success();
  }
};

struct AttnLowerChunkwisePass
    : attn::impl::AttnLowerChunkwiseBase<AttnLowerChunkwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateAttnChunkwisePatterns(patterns);
    ConversionTarget target(getContext());
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    target.addDynamicallyLegalDialect<AttnDialect>([](Operation *op) {
      return !isChunkLowered(cast<AttentionOpInterface>(op));
    });
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::attn::populateAttnChunkwisePatterns(RewritePatternSet &patterns) {
  patterns.add<LinearFamilyToChunks, SoftmaxToTiles>(patterns.getContext());
}
