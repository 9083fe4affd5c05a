//===- AttnOps.td - attn dialect operations ----------------*- tablegen -*-===//
//
// Operand types are deliberately loose (any ranked tensor): the verifiers give
// a specific, located message for every wrong rank, size or element type.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_OPS_TD
#define ATTN_OPS_TD

include "attn/Dialect/Attn/IR/AttnDialect.td"
include "attn/Dialect/Attn/IR/AttnEnums.td"
include "attn/Dialect/Attn/IR/AttnInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

// Attributes every op carries: the optional user scale and what form selection
// decided (or what the user forces).
defvar Attn_CommonAttrs = (ins
  OptionalAttr<F64Attr>:$scale,
  OptionalAttr<Attn_FormAttr>:$form,
  OptionalAttr<I64Attr>:$chunk_size
);

def Attn_SoftmaxAttentionOp : Attn_Op<"softmax_attention",
    [Pure, Attn_AttentionOpInterface]> {
  let summary = "scaled dot-product (softmax) attention";
  let description = [{
    `o_t = sum_s softmax_s(scale * q_t . k_s + m(t, s)) v_s`, with m = 0, or
    -inf for s > t + (Tk - Tq) when `causal` (the queries are the last Tq of
    the Tk key positions; causal needs Tq <= Tk). With a sliding `window` W
    (causal only), query t also cannot see keys s <= t + (Tk - Tq) - W: it
    attends to at most W keys, itself included. q: [B, Tq, Hq, Dk],
    k: [B, Tk, Hkv, Dk], v: [B, Tk, Hkv, Dv], o: [B, Tq, Hq, Dv]; Hq a
    multiple of Hkv (grouped-query attention: query head h reads k/v head
    h / (Hq / Hkv)).

    With `cu_seqlens` (int32 [N + 1] offsets, B = 1, Tq = Tk), the T
    positions hold N packed sequences, sequence n at
    [cu_seqlens[n], cu_seqlens[n + 1]); no query sees a key of another
    sequence, and causality and the window count from each sequence's start.

    ```mlir
    %o = attn.softmax_attention %q, %k, %v {causal = false, scale = 0.125}
        : (tensor<2x128x8x64xbf16>, tensor<2x128x8x64xbf16>,
           tensor<2x128x8x64xbf16>) -> tensor<2x128x8x64xbf16>
    ```
  }];
  let arguments = !con((ins AnyRankedTensor:$q, AnyRankedTensor:$k,
                            AnyRankedTensor:$v,
                            Optional<AnyRankedTensor>:$cu_seqlens,
                            DefaultValuedAttr<BoolAttr, "true">:$causal,
                            OptionalAttr<I64Attr>:$window),
                       Attn_CommonAttrs);
  let results = (outs AnyRankedTensor:$o);
  let assemblyFormat = [{
    $q `,` $k `,` $v (`cu_seqlens` `(` $cu_seqlens^ `)`)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    bool isCausal() { return getCausal(); }
    bool hasRecurrentState() { return false; }
    ::mlir::Value getCuSeqlensOrNull() { return getCuSeqlens(); }
  }];
}

def Attn_LinearAttentionOp : Attn_Op<"linear_attention",
    [Pure, AttrSizedOperandSegments, Attn_AttentionOpInterface]> {
  let summary = "(kernelized) linear attention";
  let description = [{
    `S_t = S_{t-1} + phi(k_t) v_t^T`, `o_t = scale * phi(q_t)^T S_t`. With
    `normalize`, o_t is divided by `scale * phi(q_t) . z_t` where
    `z_t = z_{t-1} + phi(k_t)`, z_0 = 0. Non-causal (`causal = false`): every
    o_t uses the state after the whole sequence. phi is the `feature_map`:
    identity, elu_plus_one (elu(x) + 1), relu, or favor: the FAVOR+ random
    features of Performer, phi(x) = exp(W x - |x|^2 / 2) / sqrt(m) with the
    `projection` W [m, Dk] (f32 or q's type) an operand, so that phi(x) has m
    entries and the state is [B, Hq, m, Dv]. The optional initial state and
    final-state result are [B, Hq, Dk, Dv] f32 (Dk = m for favor). k and v
    may have fewer heads than q (grouped-query attention, as for softmax
    attention). With `cu_seqlens` (int32 [N + 1] offsets, B = 1), the T
    positions hold N packed sequences: the state starts afresh (from
    initial_state[n], [N, Hq, Dk, Dv]) at each sequence's start, and the
    final state is one per sequence.

    ```mlir
    %o, %s = attn.linear_attention %q, %k, %v initial_state(%s0)
        {feature_map = #attn.feature_map<elu_plus_one>, normalize}
        : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>,
           tensor<1x2x16x16xf32>) -> (tensor<1x64x2x16xf32>, tensor<1x2x16x16xf32>)
    ```
  }];
  let arguments = !con((ins AnyRankedTensor:$q, AnyRankedTensor:$k,
                            AnyRankedTensor:$v,
                            Optional<AnyRankedTensor>:$projection,
                            Optional<AnyRankedTensor>:$initial_state,
                            Optional<AnyRankedTensor>:$cu_seqlens,
                            DefaultValuedAttr<Attn_FeatureMapAttr,
                                "::mlir::attn::FeatureMap::Identity">:$feature_map,
                            UnitAttr:$normalize,
                            DefaultValuedAttr<BoolAttr, "true">:$causal),
                       Attn_CommonAttrs);
  let results = (outs AnyRankedTensor:$o,
                      Optional<AnyRankedTensor>:$final_state);
  let assemblyFormat = [{
    $q `,` $k `,` $v (`projection` `(` $projection^ `)`)?
    (`initial_state` `(` $initial_state^ `)`)?
    (`cu_seqlens` `(` $cu_seqlens^ `)`)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    bool isCausal() { return getCausal(); }
    ::mlir::Value getInitialStateOrNull() { return getInitialState(); }
    ::mlir::Value getFinalStateOrNull() { return getFinalState(); }
    ::mlir::Value getCuSeqlensOrNull() { return getCuSeqlens(); }
    ::mlir::Value getProjectionOrNull() { return getProjection(); }
  }];
}

def Attn_GatedLinearAttentionOp : Attn_Op<"gated_linear_attention",
    [Pure, AttrSizedOperandSegments, Attn_AttentionOpInterface]> {
  let summary = "gated linear attention (scalar or vector log-decay)";
  let description = [{
    `S_t = diag(exp(g_t)) S_{t-1} + k_t v_t^T`, `o_t = scale * q_t^T S_t`.
    g is a log-decay (<= 0 for a decay): [B, T, H] for a scalar gate per
    (b, t, h) (RetNet, Mamba-2, Lightning) or [B, T, H, Dk] for a vector gate
    (GLA), which decays row i of S by exp(g_t[i]). `cu_seqlens` packs
    sequences as for attn.linear_attention.

    ```mlir
    %o = attn.gated_linear_attention %q, %k, %v, %g
        : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>,
           tensor<1x64x2xf32>) -> tensor<1x64x2x16xf32>
    ```
  }];
  let arguments = !con((ins AnyRankedTensor:$q, AnyRankedTensor:$k,
                            AnyRankedTensor:$v, AnyRankedTensor:$g,
                            Optional<AnyRankedTensor>:$initial_state,
                            Optional<AnyRankedTensor>:$cu_seqlens),
                       Attn_CommonAttrs);
  let results = (outs AnyRankedTensor:$o,
                      Optional<AnyRankedTensor>:$final_state);
  let assemblyFormat = [{
    $q `,` $k `,` $v `,` $g (`initial_state` `(` $initial_state^ `)`)?
    (`cu_seqlens` `(` $cu_seqlens^ `)`)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    bool isCausal() { return true; }
    ::mlir::attn::GateKind getGateKind();
    ::mlir::Value getInitialStateOrNull() { return getInitialState(); }
    ::mlir::Value getFinalStateOrNull() { return getFinalState(); }
    ::mlir::Value getCuSeqlensOrNull() { return getCuSeqlens(); }
  }];
}

def Attn_DeltaRuleOp : Attn_Op<"delta_rule",
    [Pure, AttrSizedOperandSegments, Attn_AttentionOpInterface]> {
  let summary = "delta rule and gated delta rule";
  let description = [{
    `S_t = (I - beta_t k_t k_t^T) S_{t-1} + beta_t k_t v_t^T`,
    `o_t = scale * q_t^T S_t`, beta: [B, T, H]. With a scalar log-decay gate
    g [B, T, H] it is the gated delta rule:
    `S_t = exp(g_t) (I - beta_t k_t k_t^T) S_{t-1} + beta_t k_t v_t^T`.
    `cu_seqlens` packs sequences as for attn.linear_attention.

    ```mlir
    %o, %s = attn.delta_rule %q, %k, %v, %beta gate(%g)
        : (tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>,
           tensor<1x64x2xf32>, tensor<1x64x2xf32>)
        -> (tensor<1x64x2x16xbf16>, tensor<1x2x16x16xf32>)
    ```
  }];
  let arguments = !con((ins AnyRankedTensor:$q, AnyRankedTensor:$k,
                            AnyRankedTensor:$v, AnyRankedTensor:$beta,
                            Optional<AnyRankedTensor>:$g,
                            Optional<AnyRankedTensor>:$initial_state,
                            Optional<AnyRankedTensor>:$cu_seqlens),
                       Attn_CommonAttrs);
  let results = (outs AnyRankedTensor:$o,
                      Optional<AnyRankedTensor>:$final_state);
  let assemblyFormat = [{
    $q `,` $k `,` $v `,` $beta (`gate` `(` $g^ `)`)?
    (`initial_state` `(` $initial_state^ `)`)?
    (`cu_seqlens` `(` $cu_seqlens^ `)`)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    bool isCausal() { return true; }
    ::mlir::Value getCuSeqlensOrNull() { return getCuSeqlens(); }
    ::mlir::attn::GateKind getGateKind() {
      return getG() ? ::mlir::attn::GateKind::Scalar
                    : ::mlir::attn::GateKind::None;
    }
    ::mlir::Value getInitialStateOrNull() { return getInitialState(); }
    ::mlir::Value getFinalStateOrNull() { return getFinalState(); }
  }];
}

//===----------------------------------------------------------------------===//
// Gradients
//===----------------------------------------------------------------------===//

def Attn_LinearAttentionGradOp : Attn_Op<"linear_attention_grad",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "gradients of attn.linear_attention";
  let description = [{
    The gradients of `attn.linear_attention` (same q, k, v, initial state,
    scale, causal and feature_map) with respect to q, k, v and, when the
    op has an initial state, that state, given the output's gradient `d_o`
    [B, T, Hq, Dv] (q's element type) and optionally the final state's,
    `d_final_state` [B, Hq, Dk, Dv] f32. dq, dk and dv have the types of q,
    k and v; d_initial_state is f32. attn-expand-grad rewrites the op into
    forward linear-attention ops (on the time-reversed sequences for dk and
    dv), so every form and chunk size of the forward serves the backward.
    Feature maps: identity, elu_plus_one and relu; not yet FAVOR+,
    normalize or packed sequences.

    ```mlir
    %dq, %dk, %dv = attn.linear_attention_grad %q, %k, %v, %do
        : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>,
           tensor<1x64x2x16xf32>)
        -> (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>)
    ```
  }];
  let arguments = (ins AnyRankedTensor:$q, AnyRankedTensor:$k,
                       AnyRankedTensor:$v, AnyRankedTensor:$d_o,
                       Optional<AnyRankedTensor>:$initial_state,
                       Optional<AnyRankedTensor>:$d_final_state,
                       DefaultValuedAttr<Attn_FeatureMapAttr,
                           "::mlir::attn::FeatureMap::Identity">:$feature_map,
                       DefaultValuedAttr<BoolAttr, "true">:$causal,
                       OptionalAttr<F64Attr>:$scale);
  let results = (outs AnyRankedTensor:$dq, AnyRankedTensor:$dk,
                      AnyRankedTensor:$dv,
                      Optional<AnyRankedTensor>:$d_initial_state);
  let assemblyFormat = [{
    $q `,` $k `,` $v `,` $d_o (`initial_state` `(` $initial_state^ `)`)?
    (`d_final_state` `(` $d_final_state^ `)`)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Attn_GatedLinearAttentionGradOp : Attn_Op<"gated_linear_attention_grad",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "gradients of attn.gated_linear_attention (scalar gate)";
  let description = [{
    The gradients of `attn.gated_linear_attention` with a scalar gate g
    [B, T, H] with respect to q, k, v, g (g's type) and, when the op has an
    initial state, that state, given `d_o` and optionally `d_final_state`
    as for attn.linear_attention_grad. attn-expand-grad rewrites it into
    forward gated ops (the time-reversed ones with the gate shifted by one
    step) and dg into the reverse cumulative sum of q . dq - k . dk (plus
    d_final_state . final_state), fla's identity. Not yet vector gates or
    packed sequences.

    ```mlir
    %dq, %dk, %dv, %dg = attn.gated_linear_attention_grad %q, %k, %v, %g, %do
        : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>,
           tensor<1x64x2xf32>, tensor<1x64x2x16xf32>)
        -> (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>,
            tensor<1x64x2x16xf32>, tensor<1x64x2xf32>)
    ```
  }];
  let arguments = (ins AnyRankedTensor:$q, AnyRankedTensor:$k,
                       AnyRankedTensor:$v, AnyRankedTensor:$g,
                       AnyRankedTensor:$d_o,
                       Optional<AnyRankedTensor>:$initial_state,
                       Optional<AnyRankedTensor>:$d_final_state,
                       OptionalAttr<F64Attr>:$scale);
  let results = (outs AnyRankedTensor:$dq, AnyRankedTensor:$dk,
                      AnyRankedTensor:$dv, AnyRankedTensor:$dg,
                      Optional<AnyRankedTensor>:$d_initial_state);
  let assemblyFormat = [{
    $q `,` $k `,` $v `,` $g `,` $d_o
    (`initial_state` `(` $initial_state^ `)`)?
    (`d_final_state` `(` $d_final_state^ `)`)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Attn_DeltaRuleGradOp : Attn_Op<"delta_rule_grad",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "gradients of attn.delta_rule (plain or gated)";
  let description = [{
    The gradients of `attn.delta_rule` (same q, k, v, beta, optional scalar
    gate g and initial state, scale) with respect to q, k, v, beta and then,
    in this order, g (when gated) and the initial state (when there is
    one), given `d_o` [B, T, Hq, Dv] and optionally `d_final_state`
    [B, Hq, Dk, Dv] f32. Each gradient has the type of what it is the
    gradient of (dk and dv summed over each group of query heads).
    attn-expand-grad computes them chunkwise through the WY/UT form of the
    forward: the chunk start states forward, then a reverse pass over the
    chunks carrying dS, with the gradients of the chunk's triangular solve
    (docs/ops.md). Not yet packed sequences.

    ```mlir
    %dq, %dk, %dv, %db, %dg = attn.delta_rule_grad %q, %k, %v, %beta, %do
        gate(%g)
        : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>,
           tensor<1x64x2xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2xf32>)
        -> (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>,
            tensor<1x64x2x16xf32>, tensor<1x64x2xf32>, tensor<1x64x2xf32>)
    ```
  }];
  let arguments = (ins AnyRankedTensor:$q, AnyRankedTensor:$k,
                       AnyRankedTensor:$v, AnyRankedTensor:$beta,
                       AnyRankedTensor:$d_o,
                       Optional<AnyRankedTensor>:$g,
                       Optional<AnyRankedTensor>:$initial_state,
                       Optional<AnyRankedTensor>:$d_final_state,
                       OptionalAttr<F64Attr>:$scale);
  // dg and d_initial_state follow dbeta when the op has g and an initial
  // state: variadic, since two optional results cannot be told apart in
  // the functional type.
  let results = (outs AnyRankedTensor:$dq, AnyRankedTensor:$dk,
                      AnyRankedTensor:$dv, AnyRankedTensor:$dbeta,
                      Variadic<AnyRankedTensor>:$optional_grads);
  let assemblyFormat = [{
    $q `,` $k `,` $v `,` $beta `,` $d_o (`gate` `(` $g^ `)`)?
    (`initial_state` `(` $initial_state^ `)`)?
    (`d_final_state` `(` $d_final_state^ `)`)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// dg (null without a gate) and d_initial_state (null without an
    /// initial state), as far as the results are there.
    ::mlir::Value getDg() {
      return getG() && !getOptionalGrads().empty() ? getOptionalGrads()[0]
                                                   : ::mlir::Value();
    }
    ::mlir::Value getDInitialState() {
      unsigned at = getG() ? 1 : 0;
      return getInitialState() && getOptionalGrads().size() > at
                 ? getOptionalGrads()[at] : ::mlir::Value();
    }
  }];
}

def Attn_SoftmaxAttentionGradOp : Attn_Op<"softmax_attention_grad", [Pure]> {
  let summary = "gradients of attn.softmax_attention";
  let description = [{
    The gradients of `attn.softmax_attention` (same q, k, v, causal, window
    and scale) with respect to q, k and v, given the output's gradient
    `d_o` [B, Tq, Hq, Dv] (q's element type). With P the attention weights
    and dP = dO V^T: dV = P^T dO, dS = P (.) (dP - rowsum(P (.) dP)),
    dQ = scale dS K, dK = scale dS^T Q (dk and dv summed over each group of
    query heads). attn-expand-grad computes them by blocks of query rows,
    each block's weights recomputed from its whole rows (no saved
    log-sum-exp); not yet packed sequences.

    ```mlir
    %dq, %dk, %dv = attn.softmax_attention_grad %q, %k, %v, %do
        : (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>,
           tensor<1x64x2x16xf32>)
        -> (tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>)
    ```
  }];
  let arguments = (ins AnyRankedTensor:$q, AnyRankedTensor:$k,
                       AnyRankedTensor:$v, AnyRankedTensor:$d_o,
                       DefaultValuedAttr<BoolAttr, "true">:$causal,
                       OptionalAttr<I64Attr>:$window,
                       OptionalAttr<F64Attr>:$scale);
  let results = (outs AnyRankedTensor:$dq, AnyRankedTensor:$dk,
                      AnyRankedTensor:$dv);
  let assemblyFormat = [{
    $q `,` $k `,` $v `,` $d_o attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // ATTN_OPS_TD
