"""Gradients: attn.vjp on arrays, and the backward pass of the autograd
integration (_autograd.py).

A gradient call writes the MLIR of one gradient op (attn.<op>_grad) for the
forward call's shapes and options; the compiler expands it (attn-expand-grad):
the linear family into forward ops, so the backward gets the same forms,
chunk sizes and cache as the forward; softmax attention and the delta rule
into backward loops of their own.
"""
from . import _ops
from ._arrays import like_input
from ._kernel import compile

# The ops with a gradient op, and the keywords of theirs the gradient takes.
DIFFERENTIABLE = ("softmax_attention", "linear_attention",
                  "gated_linear_attention", "delta_rule")


def unsupported(op, kwargs, g=None):
    """Why a call of `op` with these keywords has no gradient yet (None if
    it has one)."""
    if op not in DIFFERENTIABLE:
        return (f"attn.{op} has no backward pass yet (gradients exist for "
                f"{', '.join('attn.' + n for n in DIFFERENTIABLE)})")
    if kwargs.get("cu_seqlens") is not None:
        return "gradients of packed sequences (cu_seqlens) are not supported yet"
    if kwargs.get("normalize"):
        return "gradients of normalize=True are not supported yet"
    fm = _ops.FEATURE_MAPS.get(kwargs.get("feature_map", "identity"))
    if fm == "favor":
        return "gradients of feature_map='favor+' are not supported yet"
    if g is not None and len(getattr(g, "shape", ())) == 4:
        return ("gradients of a vector gate g [B, T, H, Dk] (GLA) are not "
                "supported yet; scalar gates [B, T, H] are")
    target = kwargs.get("target", "cpu")
    if target in _ops._gpu.GPU_TARGETS:
        return f"gradients run on the CPU only yet, not on target {target!r}"
    return None


class _GradPlan:
    """One gradient call ready to run: its MLIR text, pipeline and arrays;
    run() returns {input name: gradient}."""

    def __init__(self, call, operands, results, pipeline):
        self.text = call.text(operands, [t for _, t in results])
        self.pipeline = pipeline
        self.result_names = [n for n, _ in results]
        self.names = [n for n, _, _ in call.args]
        self.arrays = [a for _, a, _ in call.args]
        self.template = call.template

    def run(self):
        out = compile(self.text, self.pipeline).call(
            "main", *self.arrays, names=self.names)
        out = out if isinstance(out, tuple) else (out,)
        return {n: like_input(x, self.template)
                for n, x in zip(self.result_names, out)}


def plan(op, q, k, v, fourth=None, *, d_o, g=None, d_final_state=None,
         scale=None, causal=True, feature_map="identity", normalize=False,
         projection=None, initial_state=None, output_final_state=False,
         cu_seqlens=None, window=None, form="auto", chunk_size=None,
         target="cpu"):
    """The gradient call of `op` (by name) on the forward's arguments (the
    forward's keywords all accepted; output_final_state changes nothing:
    d_final_state says whether the final state has a gradient). The fourth
    argument is g (gated_linear_attention) or beta (delta_rule, whose g is
    a keyword), as in the forward call."""
    beta = fourth if op == "delta_rule" else None
    if op != "delta_rule" and fourth is not None:
        g = fourth
    kwargs = dict(cu_seqlens=cu_seqlens, normalize=normalize,
                  feature_map=feature_map, target=target)
    if projection is not None:
        kwargs["feature_map"] = "favor+"
    why = unsupported(op, kwargs, g)
    if why:
        raise NotImplementedError(why)
    if feature_map not in _ops.FEATURE_MAPS:
        raise ValueError(
            f"'feature_map' must be one of {', '.join(_ops.FEATURE_MAPS)}; "
            f"got {feature_map!r}")
    call = _ops._Call(op + "_grad")
    qa, ka, va, et = _ops._qkv(call, q, k, v)
    operands = "%q, %k, %v"
    results = [("q", _ops._tensor(qa.shape, et)),
               ("k", _ops._tensor(ka.shape, et)),
               ("v", _ops._tensor(va.shape, et))]
    if op == "softmax_attention" and (initial_state is not None or
                                      d_final_state is not None):
        raise ValueError("softmax attention has no state")
    if op == "gated_linear_attention":
        _ops._per_step(call, "g", g, et)
        operands += ", %g"
        results.append(("g", call.args[-1][2]))
    if op == "delta_rule":
        if beta is None:
            raise TypeError("delta_rule's gradient needs beta")
        _ops._per_step(call, "beta", beta, et)
        operands += ", %beta"
        results.append(("beta", call.args[-1][2]))
    out_shape = qa.shape[:3] + (va.shape[3],)
    dO, _ = call.array("d_o", d_o, 4, "[B, T, H, Dv]", {et})
    if tuple(dO.shape) != tuple(out_shape):
        raise ValueError(
            f"'d_o' must have the output's shape {tuple(out_shape)}, got "
            f"{tuple(dO.shape)}")
    operands += ", %d_o"
    if op == "delta_rule" and g is not None:
        # After d_o: the gradient op's operands are in this order.
        _ops._per_step(call, "g", g, et)
        operands += " gate(%g)"
        results.append(("g", call.args[-1][2]))
    operands += _ops._state(call, initial_state, qa, va)
    if initial_state is not None:
        results.append(("initial_state", call.args[-1][2]))
    if d_final_state is not None:
        state = (qa.shape[0], qa.shape[2], qa.shape[3], va.shape[3])
        ds, _ = call.array("d_final_state", d_final_state, 4,
                           "[B, H, Dk, Dv]", {"f32"})
        if tuple(ds.shape) != state:
            raise ValueError(
                f"'d_final_state' must have the final state's shape {state}, "
                f"got {tuple(ds.shape)}")
        operands += " d_final_state(%d_final_state)"
    if op == "softmax_attention":
        _ops._softmax_attrs(call, causal, window)
    if op == "linear_attention":
        if not causal:
            call.attrs.append("causal = false")
        if _ops.FEATURE_MAPS[feature_map] != "identity":
            call.attrs.append(f"feature_map = #attn.feature_map<"
                              f"{_ops.FEATURE_MAPS[feature_map]}>")
    # form='tune' times forward calls; the gradient's forward ops take the
    # cost model's forms.
    pipeline = _ops._options(call, scale, "auto" if form == "tune" else form,
                             chunk_size, target)
    if pipeline in _ops._gpu.GPU_TARGETS:
        raise NotImplementedError(
            "gradients run on the CPU only yet: the arrays are on a GPU")
    return _GradPlan(call, operands, results, pipeline)


def vjp(op, *args, d_o, d_final_state=None, **kwargs):
    """The gradients of one call: `attn.vjp(attn.linear_attention, q, k, v,
    d_o=dO)` returns {"q": dq, "k": dk, "v": dv} (with "g" for a gated op
    and "initial_state" when the call has one, "beta" (and "g" when gated)
    for delta_rule; softmax_attention, linear attention, scalar-gated
    linear attention and the delta rule have gradients), the vector-Jacobian product
    of the call's output with `d_o` (and of its final state with
    `d_final_state`, if given). `op` and the arguments are those of the
    forward call; numpy arrays or torch CPU tensors."""
    name = op if isinstance(op, str) else getattr(op, "__name__", None)
    if name not in _ops._PLANNERS:
        raise ValueError(
            f"'op' must be one of {', '.join(_ops._PLANNERS)} (or the "
            f"function); got {op!r}")
    why = unsupported(name, kwargs, args[3] if len(args) > 3 and
                      name != "delta_rule" else kwargs.get("g"))
    if why:
        raise NotImplementedError(why)
    return plan(name, *args, d_o=d_o, d_final_state=d_final_state,
                **kwargs).run()
