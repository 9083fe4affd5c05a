"""The autograd node of the differentiable ops (_grad.DIFFERENTIABLE) on
torch tensors that require grad: forward runs the op, backward runs its
gradient op (attn-expand-grad) on the saved inputs. Kept apart from the
modules that hold compiled kernels, like _no_backward.py."""
import torch


class AttentionFunction(torch.autograd.Function):
    """apply(op, run, options, q, k, v, g, beta, initial_state): `run()` gives the
    forward's outputs (o, or (o, final_state)); `options` are the forward
    call's keywords, for the gradient call."""

    @staticmethod
    def forward(ctx, op, run, options, q, k, v, g, beta, initial_state):
        out = run()
        outs = out if isinstance(out, tuple) else (out,)
        ctx.op, ctx.options = op, options
        ctx.save_for_backward(q, k, v, g, beta, initial_state)
        ctx.set_materialize_grads(False)
        return outs

    @staticmethod
    def backward(ctx, d_o, d_final_state=None):
        from . import _grad
        q, k, v, g, beta, initial_state = ctx.saved_tensors
        if d_o is None and d_final_state is None:
            return (None,) * 9
        if d_o is None:
            d_o = q.new_zeros(tuple(q.shape[:3]) + (v.shape[3],))
        args = (q, k, v) if g is None else (q, k, v, g)
        extra = {}
        if beta is not None:  # the delta rule: beta fourth, g a keyword
            args = (q, k, v, beta)
            extra = {"g": None if g is None else g.detach()}
        grads = _grad.plan(
            ctx.op, *(x.detach() for x in args), **extra,
            d_o=d_o.to(q.dtype).contiguous(),
            d_final_state=None if d_final_state is None
            else d_final_state.float().contiguous(),
            initial_state=None if initial_state is None
            else initial_state.detach(),
            **ctx.options).run()
        return (None, None, None, grads["q"], grads["k"], grads["v"],
                grads.get("g"), grads.get("beta"), grads.get("initial_state"))
