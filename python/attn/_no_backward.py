"""The autograd node of attn's ops on tensors that require grad: they have
no backward pass yet, so backward raises rather than leaving the inputs
silently without gradients. Kept apart from the modules that hold the
compiled kernels: a live graph node then keeps none of them alive at exit."""
import torch


class NoBackward(torch.autograd.Function):
    """apply(name, n, *outputs_then_inputs): the first n tensors through."""

    @staticmethod
    def forward(ctx, name, n, *xs):
        ctx.name = name
        return tuple(x.view_as(x) for x in xs[:n])

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError(
            f"attn.{ctx.name} has no backward pass yet: its gradients are "
            f"not computed. Run it under torch.no_grad() or "
            f"torch.inference_mode(), or use another implementation for "
            f"training")
