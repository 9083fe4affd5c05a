"""The ops as PyTorch custom operators (torch.library).

Under torch.compile or torch.export (and for fake or functional tensors),
a call on torch tensors goes through torch.ops.attn.<op>: the graph sees one
operator (no graph break) whose fake implementation gives the output shapes
and dtypes. The real one runs the op's plan: on CUDA tensors it launches the
cached GPU kernel on the current stream with outputs from torch's caching
allocator (so the call can be captured in a CUDA graph), on CPU tensors it
runs the compiled CPU code. Registered on first use (importing torch).
softmax_attention, linear_attention, gated_linear_attention and delta_rule
have their backward registered (register_autograd), through gradient operators of
their own, so that a compiled training step stays one graph.
"""
from typing import List, Optional

import torch

from . import _ops

Tensor = torch.Tensor


def _outputs(q, v, output_final_state, state_rows, cu_seqlens):
    """Fake outputs: o [B, T, H, Dv] like q, and the f32 state [B or N, H,
    state_rows, Dv]."""
    o = q.new_empty(tuple(q.shape[:3]) + (v.shape[3],))
    if not output_final_state:
        return [o]
    n = q.shape[0] if cu_seqlens is None else cu_seqlens.shape[0] - 1
    return [o, q.new_empty((n, q.shape[2], state_rows, v.shape[3]),
                           dtype=torch.float32)]


def _results(out):
    return list(out) if isinstance(out, tuple) else [out]


@torch.library.custom_op("attn::softmax_attention", mutates_args=())
def softmax_attention(q: Tensor, k: Tensor, v: Tensor,
                      cu_seqlens: Optional[Tensor], causal: bool,
                      scale: Optional[float], window: Optional[int],
                      chunk_size: Optional[int], form: str,
                      target: str) -> List[Tensor]:
    return _results(_ops._plan_softmax_attention(
        q, k, v, causal=causal, scale=scale, window=window,
        cu_seqlens=cu_seqlens, chunk_size=chunk_size, form=form, target=target).run())


@softmax_attention.register_fake
def _(q, k, v, cu_seqlens, causal, scale, window, chunk_size, form,
      target):
    return _outputs(q, v, False, 0, None)


@torch.library.custom_op("attn::linear_attention", mutates_args=())
def linear_attention(q: Tensor, k: Tensor, v: Tensor,
                     projection: Optional[Tensor],
                     initial_state: Optional[Tensor],
                     cu_seqlens: Optional[Tensor], causal: bool,
                     scale: Optional[float], feature_map: str, normalize: bool,
                     output_final_state: bool,
                     chunk_size: Optional[int], form: str,
                      target: str) -> List[Tensor]:
    return _results(_ops._plan_linear_attention(
        q, k, v, causal=causal, scale=scale, feature_map=feature_map,
        normalize=normalize, projection=projection,
        initial_state=initial_state, output_final_state=output_final_state,
        cu_seqlens=cu_seqlens, chunk_size=chunk_size, form=form, target=target).run())


@linear_attention.register_fake
def _(q, k, v, projection, initial_state, cu_seqlens, causal, scale,
      feature_map, normalize, output_final_state, chunk_size, form, target):
    rows = q.shape[3] if projection is None else projection.shape[0]
    return _outputs(q, v, output_final_state, rows, cu_seqlens)


@torch.library.custom_op("attn::gated_linear_attention", mutates_args=())
def gated_linear_attention(q: Tensor, k: Tensor, v: Tensor, g: Tensor,
                           initial_state: Optional[Tensor],
                           cu_seqlens: Optional[Tensor],
                           scale: Optional[float], output_final_state: bool,
                           chunk_size: Optional[int], form: str,
                           target: str) -> List[Tensor]:
    return _results(_ops._plan_gated_linear_attention(
        q, k, v, g, scale=scale, initial_state=initial_state,
        output_final_state=output_final_state, cu_seqlens=cu_seqlens,
        chunk_size=chunk_size, form=form, target=target).run())


@gated_linear_attention.register_fake
def _(q, k, v, g, initial_state, cu_seqlens, scale, output_final_state,
      chunk_size, form, target):
    return _outputs(q, v, output_final_state, q.shape[3], cu_seqlens)


@torch.library.custom_op("attn::delta_rule", mutates_args=())
def delta_rule(q: Tensor, k: Tensor, v: Tensor, beta: Tensor,
               g: Optional[Tensor], initial_state: Optional[Tensor],
               cu_seqlens: Optional[Tensor], scale: Optional[float],
               output_final_state: bool,
               chunk_size: Optional[int], form: str,
               target: str) -> List[Tensor]:
    return _results(_ops._plan_delta_rule(
        q, k, v, beta, g=g, scale=scale, initial_state=initial_state,
        output_final_state=output_final_state, cu_seqlens=cu_seqlens,
        chunk_size=chunk_size, form=form, target=target).run())


@delta_rule.register_fake
def _(q, k, v, beta, g, initial_state, cu_seqlens, scale, output_final_state,
      chunk_size, form, target):
    return _outputs(q, v, output_final_state, q.shape[3], cu_seqlens)


# Gradients (the backward of the differentiable ops under torch.compile):
# one operator each, like the forward.

@torch.library.custom_op("attn::linear_attention_grad", mutates_args=())
def linear_attention_grad(q: Tensor, k: Tensor, v: Tensor, d_o: Tensor,
                          initial_state: Optional[Tensor],
                          d_final_state: Optional[Tensor], causal: bool,
                          scale: Optional[float], feature_map: str,
                          chunk_size: Optional[int], form: str,
                          target: str) -> List[Tensor]:
    from . import _grad
    grads = _grad.plan("linear_attention", q, k, v, d_o=d_o,
                       d_final_state=d_final_state,
                       initial_state=initial_state, causal=causal,
                       scale=scale, feature_map=feature_map,
                       chunk_size=chunk_size, form=form, target=target).run()
    return [grads[n] for n in ("q", "k", "v", "initial_state") if n in grads]


@linear_attention_grad.register_fake
def _(q, k, v, d_o, initial_state, d_final_state, causal, scale, feature_map,
      chunk_size, form, target):
    out = [torch.empty_like(q), torch.empty_like(k), torch.empty_like(v)]
    return out + ([torch.empty_like(initial_state)]
                  if initial_state is not None else [])


@torch.library.custom_op("attn::gated_linear_attention_grad", mutates_args=())
def gated_linear_attention_grad(q: Tensor, k: Tensor, v: Tensor, g: Tensor,
                                d_o: Tensor, initial_state: Optional[Tensor],
                                d_final_state: Optional[Tensor],
                                scale: Optional[float],
                                chunk_size: Optional[int], form: str,
                                target: str) -> List[Tensor]:
    from . import _grad
    grads = _grad.plan("gated_linear_attention", q, k, v, g, d_o=d_o,
                       d_final_state=d_final_state,
                       initial_state=initial_state, scale=scale,
                       chunk_size=chunk_size, form=form, target=target).run()
    return [grads[n] for n in ("q", "k", "v", "g", "initial_state")
            if n in grads]


@gated_linear_attention_grad.register_fake
def _(q, k, v, g, d_o, initial_state, d_final_state, scale, chunk_size, form,
      target):
    out = [torch.empty_like(q), torch.empty_like(k), torch.empty_like(v),
           torch.empty_like(g)]
    return out + ([torch.empty_like(initial_state)]
                  if initial_state is not None else [])


def _output_grads(grads, like_o):
    """(d_o, d_final_state) from the gradients of the op's outputs (None
    where an output got none)."""
    d_o = grads[0] if grads[0] is not None else torch.zeros_like(like_o)
    d_final = grads[1] if len(grads) > 1 else None
    return d_o.contiguous(), None if d_final is None else \
        d_final.float().contiguous()


def _setup_linear(ctx, inputs, output):
    (q, k, v, projection, initial_state, cu_seqlens, causal, scale,
     feature_map, normalize, output_final_state, chunk_size, form,
     target) = inputs
    ctx.save_for_backward(q, k, v, initial_state)
    ctx.options = dict(causal=causal, scale=scale, feature_map=feature_map,
                       chunk_size=chunk_size, form=form, target=target)
    from . import _grad
    ctx.why = _grad.unsupported("linear_attention", dict(
        cu_seqlens=cu_seqlens, normalize=normalize,
        feature_map="favor+" if projection is not None else feature_map,
        target=target))
    ctx.o = output[0]


def _backward_linear(ctx, grads):
    if ctx.why:
        raise RuntimeError(ctx.why)
    q, k, v, initial_state = ctx.saved_tensors
    d_o, d_final = _output_grads(grads, ctx.o)
    o = ctx.options
    g = torch.ops.attn.linear_attention_grad(
        q, k, v, d_o.to(q.dtype), initial_state, d_final, o["causal"],
        o["scale"], o["feature_map"], o["chunk_size"], o["form"], o["target"])
    ds0 = g[3] if initial_state is not None else None
    return (g[0], g[1], g[2], None, ds0) + (None,) * 9


def _setup_gated(ctx, inputs, output):
    (q, k, v, g, initial_state, cu_seqlens, scale, output_final_state,
     chunk_size, form, target) = inputs
    ctx.save_for_backward(q, k, v, g, initial_state)
    ctx.options = dict(scale=scale, chunk_size=chunk_size, form=form,
                       target=target)
    from . import _grad
    ctx.why = _grad.unsupported("gated_linear_attention", dict(
        cu_seqlens=cu_seqlens, target=target), g)
    ctx.o = output[0]


def _backward_gated(ctx, grads):
    if ctx.why:
        raise RuntimeError(ctx.why)
    q, k, v, g, initial_state = ctx.saved_tensors
    d_o, d_final = _output_grads(grads, ctx.o)
    o = ctx.options
    r = torch.ops.attn.gated_linear_attention_grad(
        q, k, v, g, d_o.to(q.dtype), initial_state, d_final, o["scale"],
        o["chunk_size"], o["form"], o["target"])
    ds0 = r[4] if initial_state is not None else None
    return (r[0], r[1], r[2], r[3], ds0) + (None,) * 6


@torch.library.custom_op("attn::delta_rule_grad", mutates_args=())
def delta_rule_grad(q: Tensor, k: Tensor, v: Tensor, beta: Tensor,
                    g: Optional[Tensor], d_o: Tensor,
                    initial_state: Optional[Tensor],
                    d_final_state: Optional[Tensor], scale: Optional[float],
                    chunk_size: Optional[int], form: str,
                    target: str) -> List[Tensor]:
    from . import _grad
    grads = _grad.plan("delta_rule", q, k, v, beta, d_o=d_o, g=g,
                       d_final_state=d_final_state,
                       initial_state=initial_state, scale=scale,
                       chunk_size=chunk_size, form=form, target=target).run()
    return [grads[n] for n in ("q", "k", "v", "beta", "g", "initial_state")
            if n in grads]


@delta_rule_grad.register_fake
def _(q, k, v, beta, g, d_o, initial_state, d_final_state, scale, chunk_size,
      form, target):
    out = [torch.empty_like(q), torch.empty_like(k), torch.empty_like(v),
           torch.empty_like(beta)]
    return out + [torch.empty_like(x) for x in (g, initial_state)
                  if x is not None]


def _setup_delta(ctx, inputs, output):
    (q, k, v, beta, g, initial_state, cu_seqlens, scale, output_final_state,
     chunk_size, form, target) = inputs
    ctx.save_for_backward(q, k, v, beta, g, initial_state)
    ctx.options = (scale, chunk_size, form, target)
    from . import _grad
    ctx.why = _grad.unsupported("delta_rule", dict(cu_seqlens=cu_seqlens,
                                                   target=target), g)
    ctx.o = output[0]


def _backward_delta(ctx, grads):
    if ctx.why:
        raise RuntimeError(ctx.why)
    q, k, v, beta, g, initial_state = ctx.saved_tensors
    d_o, d_final = _output_grads(grads, ctx.o)
    r = torch.ops.attn.delta_rule_grad(q, k, v, beta, g, d_o.to(q.dtype),
                                       initial_state, d_final, *ctx.options)
    rest = iter(r[4:])
    dg = next(rest) if g is not None else None
    ds0 = next(rest) if initial_state is not None else None
    return (r[0], r[1], r[2], r[3], dg, ds0) + (None,) * 6


linear_attention.register_autograd(_backward_linear, setup_context=_setup_linear)
delta_rule.register_autograd(_backward_delta, setup_context=_setup_delta)
gated_linear_attention.register_autograd(_backward_gated,
                                         setup_context=_setup_gated)


@torch.library.custom_op("attn::softmax_attention_grad", mutates_args=())
def softmax_attention_grad(q: Tensor, k: Tensor, v: Tensor, d_o: Tensor,
                           causal: bool, scale: Optional[float],
                           window: Optional[int], target: str) -> List[Tensor]:
    from . import _grad
    grads = _grad.plan("softmax_attention", q, k, v, d_o=d_o, causal=causal,
                       scale=scale, window=window, target=target).run()
    return [grads["q"], grads["k"], grads["v"]]


@softmax_attention_grad.register_fake
def _(q, k, v, d_o, causal, scale, window, target):
    return [torch.empty_like(q), torch.empty_like(k), torch.empty_like(v)]


def _setup_softmax(ctx, inputs, output):
    (q, k, v, cu_seqlens, causal, scale, window, chunk_size, form,
     target) = inputs
    ctx.save_for_backward(q, k, v)
    ctx.options = (causal, scale, window, target)
    from . import _grad
    ctx.why = _grad.unsupported("softmax_attention",
                                dict(cu_seqlens=cu_seqlens, target=target))
    ctx.o = output[0]


def _backward_softmax(ctx, grads):
    if ctx.why:
        raise RuntimeError(ctx.why)
    q, k, v = ctx.saved_tensors
    d_o, _ = _output_grads(grads, ctx.o)
    r = torch.ops.attn.softmax_attention_grad(q, k, v, d_o.to(q.dtype),
                                              *ctx.options)
    return (r[0], r[1], r[2]) + (None,) * 7


softmax_attention.register_autograd(_backward_softmax,
                                    setup_context=_setup_softmax)
