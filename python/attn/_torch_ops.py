"""The ops as PyTorch custom operators (torch.library).

Under torch.compile or torch.export (and for fake or functional tensors),
a call on torch tensors goes through torch.ops.attn.<op>: the graph sees one
operator (no graph break) whose fake implementation gives the output shapes
and dtypes. The real one runs the op's plan: on CUDA tensors it launches the
cached GPU kernel on the current stream with outputs from torch's caching
allocator (so the call can be captured in a CUDA graph), on CPU tensors it
runs the compiled CPU code. Registered on first use (importing torch).
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
