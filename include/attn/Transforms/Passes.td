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

def AttnSelectForm : Pass<"attn-select-form"> {
  let summary = "Choose each attn op's algorithm form with the cost model";
  let description = [{
    Records on every attn op without a `form` attribute the form the cost
    model of the target estimates fastest: `recurrent` (decode: T of one or a
    few steps), `quadratic` (short T), `chunkwise` (long causal T; for softmax
    attention the tiled online-softmax form) or `reassociated` (non-causal
    linear attention, phi(Q) (phi(K)^T V)). A `form` set by the user is kept;
    the `form` option forces one form on every op (an error where it does not
    apply). With `explain`, each op gets a remark listing every applicable
    form with its estimated flops, bytes, sequential steps and time, and the
    choice. Dynamic sizes are estimated as B = 1 and T = 4096.
  }];
  let options = [
    Option<"targetName", "target", "std::string", /*default=*/"\"x86-avx512\"",
           "Target description the cost model reads (x86-avx512, x86-avx2, "
           "sm_80, sm_90)">,
    Option<"forcedForm", "form", "std::string", /*default=*/"\"auto\"",
           "auto (cost model), recurrent, quadratic, chunkwise or reassociated">,
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark per op with every candidate's estimate">
  ];
}

def AttnSelectChunk : Pass<"attn-select-chunk"> {
  let summary = "Choose the chunk (tile) size of every chunkwise attn op";
  let description = [{
    Records `chunk_size` on every op whose form is `chunkwise` and has none:
    the `chunk-size` option when given, else the candidate the cost model
    estimates fastest among those whose working set fits the target (CPU: L2
    per core, vector width; GPU: shared memory per SM, tensor-core tile).
    C need not divide T. A user-set chunk_size is kept.
  }];
  let options = [
    Option<"targetName", "target", "std::string", /*default=*/"\"x86-avx512\"",
           "Target description the cost model reads">,
    Option<"chunkSize", "chunk-size", "int64_t", /*default=*/"0",
           "Force this chunk size (0: cost model)">,
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark per op with the candidate chunk sizes">
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
