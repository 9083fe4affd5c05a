//===- Passes.td - attn transformation passes --------------*- tablegen -*-===//
#ifndef ATTN_TRANSFORMS_PASSES_TD
#define ATTN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnLowerToReference : Pass<"attn-lower-to-reference"> {
  let summary = "Lower every attn op to its exact definitional form";
  let description = [{
    Rewrites each attn op into linalg, tensor and scf ops on tensors that
    compute the definition of DESIGN.md section 2 literally: the linear family
    as the recurrence over t (an scf.for carrying the f32 state), non-causal
    linear attention as S = sum_t phi(k_t) v_t^T followed by o = phi(q) S, and
    softmax attention as the masked quadratic form with a max-subtracted
    softmax. All arithmetic is f32; results are rounded to the op's element
    type at the end. It is the slow, obviously-right baseline every faster
    form is checked against.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def AttnLowerChunkwise : Pass<"attn-lower-chunkwise"> {
  let summary = "Lower attn ops whose form is chunkwise (or quadratic) to chunks";
  let description = [{
    Rewrites the ops that form selection marked `chunkwise` (and the linear
    family's `quadratic`, which is the same computation with one chunk of
    C = T) into linalg/tensor/scf: an scf.for over chunks carrying the f32
    state, the masked intra-chunk form inside each chunk, decays computed in
    log space from in-chunk cumulative sums (every exponent <= 0, stable for
    strong decay), and the WY/UT transform for the delta rule with the
    triangular inverse by forward substitution. T need not be a multiple of C:
    inputs are padded with zeros, which leaves the state unchanged. Softmax
    attention's chunkwise form is the FlashAttention-2 tiling with an online
    softmax and causal key blocks skipped. Ops with another form or none are
    left for `attn-lower-to-reference`.
  }];
  let dependentDialects = [
    "::mlir::affine::AffineDialect", "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect"
  ];
}

#endif // ATTN_TRANSFORMS_PASSES_TD
