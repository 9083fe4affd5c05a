//===- Passes.td - attn transformation passes --------------*- tablegen -*-===//
#ifndef ATTN_TRANSFORMS_PASSES_TD
#define ATTN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnLowerToReference : Pass<"attn-lower-to-reference"> {
  let summary = "Lower every attn op to its exact definitional form";
  let description = [{
    Rewrites each attn op into linalg, tensor and scf ops on tensors that
    compute the definition of docs/ops.md literally: the linear family
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

def AttnParallelizeHeads : Pass<"attn-parallelize-heads"> {
  let summary = "Run every (batch, head) of an attn op as a parallel iteration";
  let description = [{
    Rewrites each attn op on [B, T, H, D] tensors with B * H > 1 into an
    `scf.forall` over (b, h) whose body is the same op (attributes included,
    so the form and chunk size chosen for the whole problem stay) on the
    [1, T, 1, D] slices, with the results written back by
    `tensor.parallel_insert_slice`. No state or score crosses heads, so the
    iterations are independent; the CPU pipeline turns the loop into an
    OpenMP worksharing loop. Grouped-query attention (k and v with Hkv <
    Hq heads) is resolved here: query head h reads the slice of k/v head
    h / (Hq / Hkv), so repeated k/v heads are never materialized; the
    lowerings after this pass require one k/v head per query head.

    Packed sequences (`cu_seqlens`, B = 1) are resolved here too: the loop
    runs over (sequence, head) pairs, and the body's op, without
    `cu_seqlens`, reads the sequence's dynamic-length slice of T (offsets
    clamped into [0, T], so malformed offsets cannot read out of bounds) and
    its row of the initial and final states. No chunk, score or state of a
    lowering can then span two sequences. Positions of T that no sequence
    covers are zeros in the output.
  }];
  let options = [
    Option<"groupedOnly", "grouped-only", "bool", /*default=*/"false",
           "Only rewrite the ops the lowerings cannot take as they are: "
           "grouped heads or packed sequences (the single-threaded "
           "pipelines)">
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect", "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def AttnExpandGrad : Pass<"attn-expand-grad"> {
  let summary = "Rewrite the gradient ops into forward attn ops";
  let description = [{
    The gradients of the linear family are linear attentions themselves:
    with c the scale, dq = LA(dO, v, k) (initial state S0^T, scale c),
    dk = rev(LA(rev v, rev dO, c rev q)) and dv = rev(LA(rev k, rev q,
    c rev dO)), rev reversing time and the reversed calls starting from
    d_final_state (transposed for dk); the dv call's final state is
    d_initial_state. A scalar gate carries over with the gate shifted by one
    step in reversed time, and dg is the reverse cumulative sum of
    q . dq - k . dk plus d_final_state . final_state (the forward's, computed
    again). Feature maps multiply by their derivative; grouped-query heads
    broadcast k and v and sum dk and dv over each group. Everything runs in
    f32 and converts to the operands' types at the end. The forward ops this
    creates then get their forms and chunk sizes like any other; the pass
    runs first in every CPU pipeline. Softmax attention's gradient becomes
    a loop over blocks of 64 query rows, each block's weights recomputed over
    all keys: dV += P^T dO, dS = P (dP - rowsum(P dP)) with dP = dO V^T,
    dQ = c dS K, dK += c dS^T Q. The delta rule's gradient (plain or gated)
    becomes, inside an scf.forall over (batch, head), two loops over chunks
    of 64: forward, keeping each chunk's start
    state; then in reverse, carrying dS and backpropagating through each
    chunk's WY/UT form (its triangular solve included) to dq, dk, dv, dbeta,
    dg and the previous chunk's dS (docs/ops.md).
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

def AttnRaise : Pass<"attn-raise"> {
  let summary = "Raise softmax and linear attention written in linalg to attn ops";
  let description = [{
    Recognizes attention that a frontend wrote as plain linalg on tensors and
    replaces it by one `attn.softmax_attention` or `attn.linear_attention`
    op (`causal = false`), with `linalg.transpose` inserted where the
    operands' layouts differ from [B, T, H, D] (and unit dimensions for
    operands without B or H). Accepted, per (batch, head):

    * softmax: `O = softmax(scale * Q K^T) V`, where the scale (a positive
      constant, by `arith.mulf` or `arith.divf` in an elementwise op) is
      optional (scale 1), the softmax over the key dimension is
      `linalg.softmax` or the explicit chain max-reduce, `exp(x - max)`
      (one op, or a subtraction then an exponential), add-reduce, divide;
    * linear: `O = (phi(Q) phi(K)^T) V` (optionally scaled scores) or
      `O = phi(Q) (phi(K)^T V)`, phi identity, relu (`arith.maximumf` with
      0) or elu + 1 (`select(x > 0, x + 1, exp(x))`), with equal static Tq
      and Tk. Without phi or a scale, any such chain of two products is this
      same math and is raised.

    The two products are contractions (`linalg.generic`, `linalg.matmul`,
    `linalg.batch_matmul`, `linalg.contract`, ...) into zero-filled
    accumulators, with batch dimensions (B, H), (B * H) or none; the operands
    may have any layout (a transposed K included). The ops in between are
    elementwise or single-dimension reductions that read their input with
    the identity map. Q, K, V and the result must share one element type
    (f32, bf16 or f16); the attn op computes in f32 whatever the
    intermediate types were. Anything else (another reduction, a mask, a
    non-constant scale, mismatched dimensions) is left alone.
  }];
  let dependentDialects = [
    "::mlir::attn::AttnDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

#endif // ATTN_TRANSFORMS_PASSES_TD
